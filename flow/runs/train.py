"""The body of the `train` flow: a model fitted, backtested and logged to MLflow."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger

from flow.backtest import format_table
from flow.data import validate_template
from flow.features import FEATURES, training_table
from flow.forecasting import MODELS, train_forecaster
from flow.model_store import log_model
from flow.models.seed import SeedModel
from flow.series import DAILY_DEATHS_TARGET
from flow.sources import DEFAULT_URLS, SOURCES, load_series
from flow.tasks import fetch_training_reports
from flow.training import backtest_metrics, fit_model, seed_model, training_backtest


def run_training(
    start: date,
    end: date,
    data_url: str | None,
    source: str,
    model: str,
    tracking_uri: str | None,
    experiment_name: str,
    artifact_location: str | None,
    alpha: float,
    count: str,
    backtest_origins: int,
) -> str:
    """`flow.flows.train`: the seed, or a quantile model with its backtest; the MLflow run id."""
    logger = get_run_logger()
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {source!r}")
    url = data_url or DEFAULT_URLS[source]
    params: dict[str, str | int | float] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "source": source,
        "model": model,
    }
    if model == SeedModel.kind:
        if source != "jhu-daily":
            raise ValueError(
                f"model 'seed' forecasts cumulative JHU counts: use source='jhu-daily', not "
                f"{source!r}, or model='default' for {source}"
            )
        return _train_seed(
            url, start, end, alpha, params, experiment_name, tracking_uri, artifact_location
        )
    if model not in MODELS:
        raise ValueError(f"model must be 'seed' or one of {sorted(MODELS)}; got {model!r}")
    series = load_series(source, url, as_of=end, start=start, count=count, logger=logger)
    target = DAILY_DEATHS_TARGET if count == "deaths" and source == "jhu-daily" else None
    result = training_backtest(series, source, model, backtest_origins)
    forecaster = train_forecaster(series, model, **({"target": target} if target else {}))
    metrics = {"rows": float(len(series)), "locations": float(series["location"].nunique())}
    texts = {}
    if result is None:
        logger.warning("Too little data for a backtest of %s on %s..%s", model, start, end)
    else:
        metrics |= backtest_metrics(result.table)
        texts["backtest.csv"] = result.scores.to_csv(index=False, date_format="%Y-%m-%d")
        logger.info("Backtest of %s (rolling origin):\n%s", model, format_table(result.table))
    run_id = log_model(
        forecaster,
        experiment_name=experiment_name,
        tracking_uri=tracking_uri,
        artifact_location=artifact_location,
        params={**params, "target": forecaster.target, "period": forecaster.period, "count": count},
        metrics=metrics,
        texts=texts,
        logger=logger,
    )
    logger.info(
        "Trained %s on %d %s rows (%s..%s): MLflow run %s",
        model,
        len(series),
        source,
        start,
        end,
        run_id,
    )
    return run_id


def _train_seed(
    url: str,
    start: date,
    end: date,
    alpha: float,
    params: dict[str, str | int | float],
    experiment_name: str,
    tracking_uri: str | None,
    artifact_location: str | None,
) -> str:
    logger = get_run_logger()
    validate_template(url)
    reports = fetch_training_reports(url, start, end)
    table = training_table(reports)
    fitted = fit_model(table, alpha)
    run_id = log_model(
        seed_model(fitted.pipeline),
        experiment_name=experiment_name,
        tracking_uri=tracking_uri,
        artifact_location=artifact_location,
        params={**params, "alpha": alpha},
        metrics={"train_rmse": fitted.train_rmse, "rows": fitted.rows, "regions": fitted.regions},
        sklearn_pipeline=fitted.pipeline,
        example=table[list(FEATURES)].head(5),
        logger=logger,
    )
    logger.info(
        "Trained on %d rows (%d regions, %s..%s), train RMSE %.5f: MLflow run %s",
        fitted.rows,
        fitted.regions,
        start,
        end,
        fitted.train_rmse,
        run_id,
    )
    return run_id
