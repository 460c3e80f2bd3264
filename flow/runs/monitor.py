"""The body of the `monitor` flow: the deployed model scored on the truth known now."""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

import pandas as pd
from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from flow.data import validate_template
from flow.errors import ModelWorseThanBaselineError
from flow.evaluation import monitor_table, rollout_rmse
from flow.hub import hub_week
from flow.hub_output import read_forecast_csv
from flow.locations import ALL, HUB_LOCATIONS, location_name, resolve_location
from flow.monitor_report import monitor_display_table, monitor_summary_table, overall_relative_wis
from flow.monitoring import score_past_forecasts
from flow.regions import country_mask, find_country, find_region, region_mask
from flow.results import (
    artifact_key,
    csv_bytes,
    forecast_key,
    monitor_key,
    quantiles_key,
)
from flow.runs.context import (
    ModelRef,
    ResultsTarget,
    checked_inputs,
    publish_table,
    scheduled_day,
    scheduled_hub_day,
)
from flow.series import DAILY_DEATHS_TARGET
from flow.sources import location_label
from flow.tasks import fetch_report_window, load_source_series, read_result


def run_monitor(
    run_id: str,
    prov_st: str | None,
    source: str,
    country: str | None,
    as_of: date | None,
    days: int,
    weeks: int,
    max_relative_wis: float,
    artifact_root: str | None,
    tracking_uri: str | None,
    results_uri: str | None,
    results_block: str | None,
    data_url: str | None,
    lookback_days: int,
) -> str:
    """`flow.flows.monitor`: its parameters checked, then the model's kind decides the score."""
    run = checked_inputs(
        run_id, source, data_url, tracking_uri, artifact_root, results_uri, results_block
    )
    if days < 1 or weeks < 1:
        raise ValueError(f"days and weeks must be at least 1, got days={days} weeks={weeks}")
    url, model, results = run.url, run.model, run.results
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
    publish_table(
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
    publish_table(
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
