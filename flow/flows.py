"""The Prefect flows: `covid-prediction`, `monitor` and `train`.

Deployment entrypoints: `flow/flows.py:covid_prediction` and `flow/flows.py:monitor`, run from
the repository root (process worker) or `/opt/prefect/covid-forecast` (the image).

Both take the stack's `source`: `jhu-daily` (daily JHU reports, the seed's output columns) or
`covidhub` (the CDC Forecast Hub's weekly admissions, the hub's file format, `flow.hub` timing).
Every run reads its data, and checks it, before it loads a model.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any, cast

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from flow.backtest import format_table
from flow.chart import fan_chart_svg
from flow.data import validate_template
from flow.evaluation import monitor_table, rollout_rmse
from flow.features import FEATURES, clip_log, next_day_features, training_table
from flow.forecast import (
    forecast_table,
    quantile_summary,
    seed_display_table,
    seed_shaped_from_quantiles,
)
from flow.forecasting import MODELS, train_forecaster
from flow.hub import check_latest_week, hub_day, hub_week
from flow.hub_output import check_hub_csv, hub_csv_bytes, hub_table, read_forecast_csv
from flow.locations import ALL, HUB_LOCATIONS, location_name, resolve_location
from flow.model_location import validate_run_id
from flow.models.seed import SeedModel
from flow.monitor_report import monitor_display_table, monitor_summary_table, overall_relative_wis
from flow.monitoring import score_past_forecasts
from flow.regions import country_mask, find_country, find_region, region_mask
from flow.results import (
    artifact_key,
    chart_key,
    check_results_target,
    csv_bytes,
    forecast_key,
    monitor_key,
    quantiles_key,
)
from flow.series import DAILY_DEATHS_TARGET
from flow.sources import DEFAULT_URLS, SOURCES, load_series, location_label
from flow.tasks import (
    fetch_latest_report,
    fetch_report_window,
    fetch_training_reports,
    load_run_model,
    load_source_series,
    read_result,
    write_result,
)
from flow.training import backtest_metrics, fit_model, seed_model, training_backtest

# JHU reports are published the next day, so the as_of day itself is usually not out yet.
DEFAULT_LOOKBACK_DAYS = 7
# A quantile model on a JHU stack forecasts the next week of daily counts.
JHU_HORIZONS = tuple(range(1, 8))


def scheduled_day() -> date:
    """The UTC day of this flow run's scheduled start (today for an ad-hoc run).

    JHU names its daily reports by UTC day, so a backfill run scheduled for a past day reads
    the same report every time it is retried.
    """
    return flow_run.scheduled_start_time.astimezone(UTC).date()


def scheduled_hub_day() -> date:
    """The day of this flow run's scheduled start in US/Eastern, the hub's timezone (today for
    an ad-hoc run): it decides the hub week, hence the reference date, of the forecast."""
    return hub_day(flow_run.scheduled_start_time)


def _publish(kind: str, name: str | None, table: pd.DataFrame, description: str) -> None:
    records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    create_table_artifact(table=records, key=artifact_key(kind, name), description=description)


@dataclass(frozen=True)
class ModelRef:
    """Which model a run uses and where MLflow keeps it."""

    run_id: str
    tracking_uri: str | None
    artifact_root: str | None

    def load(self) -> Any:
        """The logged model (a quantile `Forecaster`, or the seed's `SeedModel`)."""
        return load_run_model(self.run_id, self.tracking_uri, self.artifact_root)


@dataclass(frozen=True)
class ResultsTarget:
    """Where a run writes: a saved block (preferred) or a URI."""

    uri: str | None
    block: str | None

    def write(self, key: str, content: bytes) -> str:
        """Write `content` at `key`; returns the location."""
        return write_result(key, content, self.uri, self.block)


@flow(name="covid-prediction")
def covid_prediction(
    prov_st: str,
    run_id: str,
    source: str = "jhu-daily",
    country: str | None = None,
    as_of: date | None = None,
    artifact_root: str | None = None,
    tracking_uri: str | None = None,
    results_uri: str | None = None,
    results_block: str | None = None,
    data_url: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> str:
    """Forecast with the MLflow model of `run_id`; returns where the CSV was written.

    `source` `jhu-daily`: tomorrow's cumulative cases and deaths of one region from the latest
    JHU report on or before `as_of` (default: the run's scheduled UTC day), written to
    `<city>/<as_of>/<run_id>.csv` in the seed's columns (a quantile model also writes its
    quantiles beside it, `<run_id>.quantiles.csv`, and a fan chart, `<run_id>.svg`).

    `source` `covidhub`: weekly hospital admissions of `prov_st` (a hub location, or `all`) for
    the hub's reference date of `as_of`'s week (default: the run's scheduled day in
    US/Eastern), horizons -1..3, written as a hub model-output file
    `<location>/<reference_date>/<run_id>.csv` with its fan chart `<run_id>.svg` beside it.

    Results go under `results_block` or `results_uri`, replacing an earlier result of the same
    inputs. Bad source data fails the run before any model is loaded. `data_url` defaults to
    the source's public URL.
    """
    validate_run_id(run_id)
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {source!r}")
    check_results_target(results_uri, results_block)
    url = data_url or DEFAULT_URLS[source]
    model = ModelRef(run_id, tracking_uri, artifact_root)
    results = ResultsTarget(results_uri, results_block)
    if source == "covidhub":
        return _forecast_hub_week(prov_st, as_of or scheduled_hub_day(), url, model, results)
    validate_template(url)
    return _forecast_next_day(
        prov_st, country, as_of or scheduled_day(), url, lookback_days, model, results
    )


def _forecast_hub_week(
    prov_st: str, day: date, url: str, model_ref: ModelRef, results: ResultsTarget
) -> str:
    """The covidhub path: one hub model-output file (and its chart) for `day`'s week."""
    logger = get_run_logger()
    week = hub_week(day)
    wanted = resolve_location(prov_st)
    locations = [loc.code for loc in HUB_LOCATIONS] if wanted == ALL else [wanted]
    name = ALL if wanted == ALL else location_name(wanted)
    logger.info("Forecasting %s: %s", name, week.describe())
    # cast: pandas is untyped here, so mypy takes the task's Any result for a coroutine.
    series = cast(pd.DataFrame, load_source_series("covidhub", url, week.data_week))
    # Every location stays as context: the default model pools the recent trend across them.
    context = series
    series = series[series["location"].isin(locations)].reset_index(drop=True)
    # Checked before the model is loaded: a run without the week it needs fails fast.
    check_latest_week(series, locations, week)
    model = model_ref.load()
    _require_quantile_model(model, model_ref.run_id, "week", "covidhub")
    forecast = model.predict(context, week.reference_date, week.horizons, locations=locations)
    content = hub_csv_bytes(forecast)
    # Every rule of the hub's validation, and every requested location, before anything is
    # written: a file the hub would reject never lands in the results.
    check_hub_csv(
        content,
        source=f"the forecast of {name}",
        reference=week.reference_date,
        locations=locations,
    )
    key = forecast_key(name, week.reference_date, model_ref.run_id)
    location = results.write(key, content)
    names = {loc.code: loc.name for loc in HUB_LOCATIONS}
    title = f"{name}: weekly COVID-19 hospital admissions, reference date {week.reference_date}"
    chart = fan_chart_svg(series, forecast, names=names, title=title)
    chart_location = results.write(chart_key(key), chart.encode("utf-8"))
    summary = quantile_summary(forecast, names)
    median_now = summary[summary["horizon"] == 0]
    logger.info(
        "Hub forecast for %s, reference date %s (data up to %s): %s -> %s",
        name,
        week.reference_date,
        week.data_week,
        ", ".join(f"{row.name} {row.median}" for row in median_now.head(5).itertuples())
        + (" ..." if len(median_now) > 5 else "")
        + " admissions (median, horizon 0)",
        location,
    )
    _publish(
        "covid-forecast",
        name,
        summary,
        f"Weekly admissions forecast for **{name}**, reference date "
        f"{week.reference_date.isoformat()} (data up to {week.data_week.isoformat()}, model "
        f"`{model_ref.run_id}`): median and 50%/95% intervals, whole counts. Hub file: "
        f"`{location}`",
    )
    _publish_chart(name, chart, chart_location, title, model_ref.run_id)
    return location


def _forecast_next_day(
    prov_st: str,
    country: str | None,
    as_of: date,
    url: str,
    lookback_days: int,
    model_ref: ModelRef,
    results: ResultsTarget,
) -> str:
    """The jhu-daily path: tomorrow's cumulative counts of one region, in the seed's columns."""
    logger = get_run_logger()
    data_day, regions = fetch_latest_report(url, as_of, lookback_days)
    region = find_region(regions, prov_st, country)
    model = model_ref.load()
    name = str(region.at[0, "Province_State"])
    key = forecast_key(name, as_of, model_ref.run_id)
    if model.kind == "seed":
        log_prediction = clip_log(model.predict(next_day_features(region)))
        table = forecast_table(region, data_day, log_prediction, model_ref.run_id)
    else:
        table = _jhu_quantiles(region, data_day, url, model, model_ref, key, results)
    location = results.write(key, csv_bytes(table))
    shown = seed_display_table(table)
    row = shown.iloc[0]
    logger.info(
        "Forecast for %s (%s) on %s from the %s report: %s cases, %s deaths -> %s",
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
        shown,
        f"Forecast for **{name}** on {row['Date']} (data of {data_day}, model "
        f"`{model_ref.run_id}`), whole counts; written to `{location}`",
    )
    return location


def _jhu_quantiles(
    region: pd.DataFrame,
    data_day: date,
    url: str,
    model: Any,
    model_ref: ModelRef,
    key: str,
    results: ResultsTarget,
) -> pd.DataFrame:
    """A quantile model on a JHU stack: its quantiles (and chart) beside the seed-shaped CSV."""
    _require_quantile_model(model, model_ref.run_id, "day", "jhu-daily")
    count = "deaths" if model.target == DAILY_DEATHS_TARGET else "cases"
    labels = [
        location_label(str(p), str(c))
        for p, c in zip(region["Province_State"], region["Country_Region"], strict=True)
    ]
    series = cast(pd.DataFrame, load_source_series("jhu-daily", url, data_day, count=count))
    # Every region stays as context: the default model pools the recent trend across them.
    context = series
    series = series[series["location"].isin(labels)].reset_index(drop=True)
    forecast = model.predict(context, data_day, JHU_HORIZONS, locations=labels)
    results.write(quantiles_key(key), csv_bytes(hub_table(forecast)))
    title = f"{labels[0]}: daily new {count}, from the report of {data_day}"
    chart = fan_chart_svg(series, forecast, title=title)
    chart_location = results.write(chart_key(key), chart.encode("utf-8"))
    _publish_chart(labels[0], chart, chart_location, title, model_ref.run_id)
    return seed_shaped_from_quantiles(
        region, labels, data_day, forecast, model_ref.run_id, model.target
    )


def _require_quantile_model(model: Any, run_id: str, period: str, source: str) -> None:
    if model.kind == "seed" or getattr(model, "period", None) != period:
        raise ValueError(
            f"MLflow run {run_id} holds a {model.kind} model for {getattr(model, 'period', 'day')}"
            f" data; a {source} stack needs a quantile model trained on {period}ly data: "
            f"train with source={source!r} and model='default' (or 'baseline'), then set runId"
        )


def _publish_chart(name: str, chart: str, location: str, title: str, run_id: str) -> None:
    """The fan chart as a markdown artifact: the image inline, and where the SVG file is."""
    encoded = base64.b64encode(chart.encode("utf-8")).decode("ascii")
    create_markdown_artifact(
        markdown=(
            f"### {title}\n\n![fan chart](data:image/svg+xml;base64,{encoded})\n\n"
            f"History, median and 50%/95% intervals of model `{run_id}`. SVG: `{location}`\n"
        ),
        key=artifact_key("covid-forecast-chart", name),
        description=f"Fan chart of the forecast for {name}",
    )


class ModelWorseThanBaselineError(RuntimeError):
    """The deployed model's recent forecasts scored worse than the flat baseline allows."""


@flow(name="monitor")
def monitor(
    run_id: str,
    prov_st: str | None = None,
    source: str = "jhu-daily",
    country: str | None = None,
    as_of: date | None = None,
    days: int = 7,
    weeks: int = 8,
    max_relative_wis: float = 1.0,
    artifact_root: str | None = None,
    tracking_uri: str | None = None,
    results_uri: str | None = None,
    results_block: str | None = None,
    data_url: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> str:
    """Score the deployed model on the truth known now; returns where its CSV was written.

    Quantile models (every `covidhub` stack; a quantile model on a `jhu-daily` stack): the
    deployment's own past forecasts, read back from its results (`covidhub`: the last `weeks`
    reference dates; `jhu-daily`: the last `days` days), scored with WIS against the flat
    baseline re-computed from the truth as known at each reference date. The run ends Failed
    when the overall relative WIS exceeds `max_relative_wis`, after writing its CSV and table.

    The seed model on `jhu-daily`: RMSE (log space) of the model rolled forward over the last
    `days` days, for one region (`prov_st`, optionally `country`), a country, or all.

    Writes `monitoring/<scope>/<date>/<run_id>.csv` under `results_block` or `results_uri`.
    """
    validate_run_id(run_id)
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {source!r}")
    check_results_target(results_uri, results_block)
    if days < 1 or weeks < 1:
        raise ValueError(f"days and weeks must be at least 1, got days={days} weeks={weeks}")
    url = data_url or DEFAULT_URLS[source]
    model = ModelRef(run_id, tracking_uri, artifact_root)
    results = ResultsTarget(results_uri, results_block)
    if source == "covidhub":
        if not prov_st:
            raise ValueError("a covidhub monitor needs prov_st: a hub location or 'all'")
        week = hub_week(as_of or scheduled_hub_day())
        wanted = resolve_location(prov_st)
        name = ALL if wanted == ALL else location_name(wanted)
        locations = [loc.code for loc in HUB_LOCATIONS] if wanted == ALL else [wanted]
        truth = cast(pd.DataFrame, load_source_series("covidhub", url, week.data_week))
        past_dates = [week.reference_date - timedelta(weeks=k) for k in range(1, weeks + 1)]
        return _score_past_forecasts(
            name,
            [forecast_key(name, day, run_id) for day in past_dates],
            truth[truth["location"].isin(locations)].reset_index(drop=True),
            monitor_key(name, week.reference_date, run_id),
            max_relative_wis,
            model,
            results,
        )
    validate_template(url)
    return _monitor_jhu(
        prov_st,
        country,
        as_of or scheduled_day(),
        days,
        url,
        lookback_days,
        model,
        results,
        max_relative_wis,
    )


def _monitor_jhu(
    prov_st: str | None,
    country: str | None,
    as_of: date,
    days: int,
    url: str,
    lookback_days: int,
    model_ref: ModelRef,
    results: ResultsTarget,
    max_relative_wis: float,
) -> str:
    logger = get_run_logger()
    reports = fetch_report_window(url, as_of, days, lookback_days)
    scope: str | None = None
    if prov_st:
        region = find_region(reports[max(reports)], prov_st, country)
        scope = str(region.at[0, "Province_State"])
        province, nation = scope, str(region.at[0, "Country_Region"])
        reports = {d: r[region_mask(r, province, nation)] for d, r in reports.items()}
    elif country:
        scope = find_country(reports[max(reports)], country)
        reports = {d: r[country_mask(r, scope)] for d, r in reports.items()}
    model = model_ref.load()
    if model.kind != "seed":
        if scope is None or not prov_st:
            raise ValueError("monitoring a quantile model on a JHU stack needs prov_st")
        label = location_label(scope, str(region.at[0, "Country_Region"]))
        count = "deaths" if model.target == DAILY_DEATHS_TARGET else "cases"
        truth = cast(pd.DataFrame, load_source_series("jhu-daily", url, as_of, count=count))
        past_days = [as_of - timedelta(days=k) for k in range(1, days + 1)]
        return _score_past_forecasts(
            scope,
            [quantiles_key(forecast_key(scope, day, model_ref.run_id)) for day in past_days],
            truth[truth["location"] == label].reset_index(drop=True),
            monitor_key(scope, as_of, model_ref.run_id),
            max_relative_wis,
            model_ref,
            results,
        )
    evaluation = rollout_rmse(model.predict, reports)
    table = monitor_table(evaluation, as_of, model_ref.run_id, scope or "all regions")
    location = results.write(monitor_key(scope, as_of, model_ref.run_id), csv_bytes(table))
    logger.info(
        "RMSE of model %s over %s..%s (%s): %s -> %s",
        model_ref.run_id,
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
        f"RMSE of model `{model_ref.run_id}` for {scope or 'all regions'}, "
        f"{evaluation.first_day}..{evaluation.last_day}, written to `{location}`",
    )
    return location


def _score_past_forecasts(
    name: str,
    keys: list[str],
    truth: pd.DataFrame,
    output_key: str,
    max_relative_wis: float,
    model_ref: ModelRef,
    results: ResultsTarget,
) -> str:
    """Read the past forecast files at `keys`, score them against `truth` and the baseline,
    write and publish the summary; raise when the model is worse than allowed."""
    logger = get_run_logger()
    found = {key: cast(bytes | None, read_result(key, results.uri, results.block)) for key in keys}
    past = [read_forecast_csv(content) for content in found.values() if content is not None]
    logger.info(
        "Found %d of %d past forecasts of model %s for %s (%s)",
        len(past),
        len(keys),
        model_ref.run_id,
        name,
        ", ".join(k for k, v in found.items() if v),
    )
    if not past:
        message = (
            f"no past forecasts of model {model_ref.run_id} for {name} under the results "
            f"location (looked for {keys[-1]} .. {keys[0]}): nothing to score yet"
        )
        logger.warning(message)
        create_markdown_artifact(
            markdown=f"Nothing to score: {message}.",
            key=artifact_key("covid-monitor", name),
            description=f"Monitoring of model {model_ref.run_id} for {name}",
        )
        return message
    rows, summary = score_past_forecasts(pd.concat(past, ignore_index=True), truth)
    if summary.empty:
        message = (
            f"the {len(past)} past forecast(s) of model {model_ref.run_id} for {name} have no "
            "target week observed yet: nothing to score yet"
        )
        logger.warning(message)
        return message
    table = monitor_summary_table(summary, model_ref.run_id, name)
    location = results.write(output_key, csv_bytes(table))
    results.write(output_key.removesuffix(".csv") + ".rows.csv", csv_bytes(rows))
    overall = overall_relative_wis(summary)
    logger.info(
        "Relative WIS of model %s for %s over %d forecasts: %.3f (limit %.3f) -> %s",
        model_ref.run_id,
        name,
        len(past),
        overall,
        max_relative_wis,
        location,
    )
    _publish(
        "covid-monitor",
        name,
        monitor_display_table(table),
        f"WIS of model `{model_ref.run_id}` for {name} against the flat baseline on the same "
        f"forecasts ({len(past)} past forecast file(s)), written to `{location}`",
    )
    if overall > max_relative_wis:
        raise ModelWorseThanBaselineError(
            f"model {model_ref.run_id} for {name}: relative WIS {overall:.3f} is above "
            f"max_relative_wis {max_relative_wis} (the flat baseline scores 1.0): roll back "
            f"the runId or retrain; scores in {location}"
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
    # Here, not at the top: MLflow is most of `import flow.flows`, which every flow run pays.
    from flow.model_store import log_model

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
    from flow.model_store import log_model

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
