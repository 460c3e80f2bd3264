"""The body of the `covid-prediction` flow: one forecast of one location (or all), written as a
file to the results and shown as artifacts."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pandas as pd
from prefect import get_run_logger

from flow.chart import fan_chart_svg
from flow.data import validate_template
from flow.features import clip_log, next_day_features
from flow.forecast import (
    forecast_table,
    quantile_summary,
    seed_display_table,
    seed_shaped_from_quantiles,
)
from flow.hub import check_latest_week, hub_week
from flow.hub_output import check_hub_csv, hub_csv_bytes, hub_table
from flow.locations import ALL, HUB_LOCATIONS, location_name, resolve_location
from flow.regions import find_region
from flow.results import chart_key, csv_bytes, forecast_key, quantiles_key
from flow.runs.context import (
    ModelRef,
    ResultsTarget,
    checked_inputs,
    publish_chart,
    publish_table,
    scheduled_day,
    scheduled_hub_day,
)
from flow.series import DAILY_DEATHS_TARGET
from flow.sources import location_label
from flow.tasks import fetch_latest_report, load_source_series

# A quantile model on a JHU stack forecasts the next week of daily counts.
JHU_HORIZONS = tuple(range(1, 8))


def run_prediction(
    prov_st: str,
    run_id: str,
    source: str,
    country: str | None,
    as_of: date | None,
    artifact_root: str | None,
    tracking_uri: str | None,
    results_uri: str | None,
    results_block: str | None,
    data_url: str | None,
    lookback_days: int,
) -> str:
    """`flow.flows.covid_prediction`: its parameters checked, then the source's forecast path."""
    run = checked_inputs(
        run_id, source, data_url, tracking_uri, artifact_root, results_uri, results_block
    )
    if source == "covidhub":
        return _forecast_hub_week(
            prov_st, as_of or scheduled_hub_day(), run.url, run.model, run.results
        )
    validate_template(run.url)
    return _forecast_next_day(
        prov_st, country, as_of or scheduled_day(), run.url, lookback_days, run.model, run.results
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
    publish_table(
        "covid-forecast",
        name,
        summary,
        f"Weekly admissions forecast for **{name}**, reference date "
        f"{week.reference_date.isoformat()} (data up to {week.data_week.isoformat()}, model "
        f"`{model_ref.run_id}`): median and 50%/95% intervals, whole counts. Hub file: "
        f"`{location}`",
    )
    publish_chart(name, chart, chart_location, title, model_ref.run_id)
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
    publish_table(
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
    publish_chart(labels[0], chart, chart_location, title, model_ref.run_id)
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
