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

from flow.data import DEFAULT_DATA_URL, validate_template
from flow.evaluation import monitor_table, rollout_rmse
from flow.features import FEATURES, clip_log, next_day_features, training_table
from flow.forecast import forecast_table
from flow.model_location import validate_run_id
from flow.model_store import log_model
from flow.regions import country_mask, find_country, find_region, region_mask
from flow.results import (
    artifact_key,
    check_results_target,
    csv_bytes,
    forecast_key,
    monitor_key,
)
from flow.tasks import (
    fetch_latest_report,
    fetch_report_window,
    fetch_training_reports,
    load_run_model,
    write_result,
)
from flow.training import fit_model

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
    data_url: str = DEFAULT_DATA_URL,
    tracking_uri: str | None = None,
    experiment_name: str = "covid-forecast",
    artifact_location: str | None = None,
    alpha: float = 1.0,
) -> str:
    """Fit the seed's PolynomialFeatures(2) + Ridge on `start`..`end`; returns the MLflow run id.

    The model is logged as `"model"` with a signature and an input example.
    """
    logger = get_run_logger()
    validate_template(data_url)
    reports = fetch_training_reports(data_url, start, end)
    table = training_table(reports)
    fitted = fit_model(table, alpha)
    run_id = log_model(
        fitted,
        table[list(FEATURES)].head(5),
        experiment_name=experiment_name,
        tracking_uri=tracking_uri,
        artifact_location=artifact_location,
        params={"start": start.isoformat(), "end": end.isoformat(), "alpha": alpha},
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
