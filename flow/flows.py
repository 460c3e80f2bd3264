"""The Prefect flows: `covid-prediction`, `monitor` and `train`.

Deployment entrypoints: `flow/flows.py:covid_prediction` and `flow/flows.py:monitor`, run from
the repository root (process worker) or `/opt/prefect/covid-forecast` (the image).
"""

from __future__ import annotations

from datetime import UTC, date

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from flow.backtest import format_table
from flow.data import DEFAULT_DATA_URL, validate_template
from flow.evaluation import monitor_table, rollout_rmse
from flow.features import FEATURES, clip_log, next_day_features, training_table
from flow.forecast import forecast_table
from flow.forecasting import MODELS, train_forecaster
from flow.model_location import validate_run_id
from flow.model_store import log_model
from flow.models.seed import SeedModel
from flow.regions import country_mask, find_country, find_region, region_mask
from flow.results import (
    artifact_key,
    check_results_target,
    csv_bytes,
    forecast_key,
    monitor_key,
)
from flow.series import DAILY_DEATHS_TARGET
from flow.sources import DEFAULT_URLS, SOURCES, load_series
from flow.tasks import (
    fetch_latest_report,
    fetch_report_window,
    fetch_training_reports,
    load_run_model,
    write_result,
)
from flow.training import backtest_metrics, fit_model, seed_model, training_backtest

# JHU reports are published the next day, so the as_of day itself is usually not out yet.
DEFAULT_LOOKBACK_DAYS = 7


def scheduled_day() -> date:
    """The UTC day of this flow run's scheduled start (today for an ad-hoc run).

    JHU names its daily reports by UTC day, so a backfill run scheduled for a past day reads
    the same report every time it is retried.
    """
    return flow_run.scheduled_start_time.astimezone(UTC).date()


def _publish(kind: str, name: str | None, table: pd.DataFrame, description: str) -> None:
    records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    create_table_artifact(table=records, key=artifact_key(kind, name), description=description)


@flow(name="covid-prediction")
def covid_prediction(
    prov_st: str,
    run_id: str,
    country: str | None = None,
    as_of: date | None = None,
    artifact_root: str | None = None,
    tracking_uri: str | None = None,
    results_uri: str | None = None,
    results_block: str | None = None,
    data_url: str = DEFAULT_DATA_URL,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> str:
    """Forecast tomorrow's cumulative cases and deaths of one region; returns the CSV location.

    Uses the latest JHU report on or before `as_of` (default: the run's scheduled day), the
    MLflow model of `run_id`, and writes `<city>/<as_of>/<run_id>.csv` under `results_block`
    or `results_uri`, replacing an earlier result of the same inputs.
    """
    logger = get_run_logger()
    validate_run_id(run_id)
    validate_template(data_url)
    check_results_target(results_uri, results_block)
    as_of = as_of or scheduled_day()

    data_day, regions = fetch_latest_report(data_url, as_of, lookback_days)
    region = find_region(regions, prov_st, country)
    model = load_run_model(run_id, tracking_uri, artifact_root)
    log_prediction = clip_log(model.predict(next_day_features(region)))
    table = forecast_table(region, data_day, log_prediction, run_id)

    name = str(region.at[0, "Province_State"])
    location = write_result(
        forecast_key(name, as_of, run_id), csv_bytes(table), results_uri, results_block
    )
    row = table.iloc[0]
    logger.info(
        "Forecast for %s (%s) on %s from the %s report: %.0f cases, %.0f deaths -> %s",
        name,
        row["Country_Region"],
        row["Date"],
        data_day,
        row["pred_out_ConfirmedCases"],
        row["pred_out_Fatalities"],
        location,
    )
    _publish(
        "covid-forecast",
        name,
        table,
        f"Forecast for **{name}** on {row['Date']} (data of {data_day}, model `{run_id}`), "
        f"written to `{location}`",
    )
    return location


@flow(name="monitor")
def monitor(
    run_id: str,
    prov_st: str | None = None,
    country: str | None = None,
    as_of: date | None = None,
    days: int = 7,
    artifact_root: str | None = None,
    tracking_uri: str | None = None,
    results_uri: str | None = None,
    results_block: str | None = None,
    data_url: str = DEFAULT_DATA_URL,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> str:
    """RMSE (log space) of the model rolled forward over the last `days` days; returns the CSV.

    Scope: one region (`prov_st`, optionally `country`), every region of `country`, or all.
    Writes `monitoring/<scope>/<as_of>/<run_id>.csv` under `results_block` or `results_uri`.
    """
    logger = get_run_logger()
    validate_run_id(run_id)
    validate_template(data_url)
    check_results_target(results_uri, results_block)
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    as_of = as_of or scheduled_day()

    reports = fetch_report_window(data_url, as_of, days, lookback_days)
    scope: str | None = None
    if prov_st:
        region = find_region(reports[max(reports)], prov_st, country)
        scope = str(region.at[0, "Province_State"])
        province, nation = scope, str(region.at[0, "Country_Region"])
        reports = {d: r[region_mask(r, province, nation)] for d, r in reports.items()}
    elif country:
        scope = find_country(reports[max(reports)], country)
        reports = {d: r[country_mask(r, scope)] for d, r in reports.items()}
    model = load_run_model(run_id, tracking_uri, artifact_root)
    evaluation = rollout_rmse(model.predict, reports)
    table = monitor_table(evaluation, as_of, run_id, scope or "all regions")

    location = write_result(
        monitor_key(scope, as_of, run_id), csv_bytes(table), results_uri, results_block
    )
    logger.info(
        "RMSE of model %s over %s..%s (%s): %s -> %s",
        run_id,
        evaluation.first_day,
        evaluation.last_day,
        scope or "all regions",
        evaluation.rmse,
        location,
    )
    _publish(
        "covid-monitor",
        scope,
        table,
        f"RMSE of model `{run_id}` for {scope or 'all regions'}, "
        f"{evaluation.first_day}..{evaluation.last_day}, written to `{location}`",
    )
    return location


@flow(name="train")
def train(
    start: date,
    end: date,
    data_url: str | None = None,
    source: str = "jhu-daily",
    model: str = "default",
    tracking_uri: str | None = None,
    experiment_name: str = "covid-forecast",
    artifact_location: str | None = None,
    alpha: float = 1.0,
    count: str = "cases",
    backtest_origins: int = 26,
) -> str:
    """Train `model` on `source`'s data from `start` to `end`; returns the MLflow run id.

    `model` `default` or `baseline`: a quantile forecaster of `source`'s series (`count` picks
    JHU cases or deaths). Before the final fit, a rolling-origin backtest over the last
    `backtest_origins` reference dates of the window scores it against the baseline; its
    metrics (WIS, relative WIS, coverage per horizon and overall) go on the MLflow run and its
    rows in `backtest.csv`.

    `model` `seed`: the seed's PolynomialFeatures(2) + Ridge on JHU daily reports (`alpha`),
    served with numpy and also logged in MLflow's scikit-learn flavour.

    `data_url` defaults to the source's public URL. The model is logged as `"model"`.
    """
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
