"""Prefect tasks: the I/O steps of the flows, each visible (and timed) in the Prefect UI.

Tasks take plain values and build their own `DailyReports`, so one task reads each day once.
Caching is off: inputs include DataFrames and models, and every run should re-read its data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flow import storage
from flow.data import DailyReports
from flow.sources import load_series

if TYPE_CHECKING:
    # Imported where a model is loaded: MLflow's import is the largest a run pays, and a run
    # refused on bad source data never loads a model.
    from flow import model_store


@task(name="fetch-latest-report", cache_policy=NO_CACHE)
def fetch_latest_report(
    data_url: str, as_of: date, lookback_days: int
) -> tuple[date, pd.DataFrame]:
    """The latest daily report on or before `as_of` (within the look-back) and its day."""
    reports = DailyReports(data_url, logger=get_run_logger())
    try:
        return reports.latest(as_of, lookback_days)
    finally:
        reports.close()


@task(name="fetch-report-window", cache_policy=NO_CACHE)
def fetch_report_window(
    data_url: str, as_of: date, days: int, lookback_days: int
) -> dict[date, pd.DataFrame]:
    """The latest report on or before `as_of` and the `days` reports before it (gaps skipped)."""
    reports = DailyReports(data_url, logger=get_run_logger())
    try:
        last, _ = reports.latest(as_of, lookback_days)
        return reports.window(last - timedelta(days=days), last)
    finally:
        reports.close()


@task(name="fetch-training-reports", cache_policy=NO_CACHE)
def fetch_training_reports(data_url: str, start: date, end: date) -> dict[date, pd.DataFrame]:
    """Every report from `start` to `end` (gaps skipped with a warning)."""
    if end <= start:
        raise ValueError(f"train needs end after start, got start={start} end={end}")
    reports = DailyReports(data_url, logger=get_run_logger())
    try:
        return reports.window(start, end)
    finally:
        reports.close()


@task(name="load-series", cache_policy=NO_CACHE)
def load_source_series(
    source: str, data_url: str, as_of: date, start: date | None = None, count: str = "cases"
) -> pd.DataFrame:
    """The source's series up to `as_of` (bad data raises `SourceDataError` here, before any
    model is loaded)."""
    return load_series(
        source, data_url, as_of=as_of, start=start, count=count, logger=get_run_logger()
    )


@task(name="load-model", cache_policy=NO_CACHE)
def load_run_model(
    run_id: str, tracking_uri: str | None, artifact_root: str | None
) -> model_store.LoadedModel:
    """`run_id`'s model (a quantile `Forecaster`, or the seed's), via the tracking server or a
    search of the artifact root."""
    from flow import model_store

    return model_store.load_model(
        run_id, tracking_uri=tracking_uri, artifact_root=artifact_root, logger=get_run_logger()
    )


@task(name="write-result", cache_policy=NO_CACHE)
def write_result(
    key: str, content: bytes, results_uri: str | None, results_block: str | None
) -> str:
    """Write `content` at `key` under the results block (preferred) or URI; returns where."""
    if results_block:
        location = storage.write_to_block(results_block, key, content)
    elif results_uri:
        location = storage.write_bytes(storage.join_uri(results_uri, key), content)
    else:
        raise ValueError("no results location: pass results_uri or results_block")
    get_run_logger().info("Wrote %s", location)
    return location


@task(name="read-result", cache_policy=NO_CACHE)
def read_result(key: str, results_uri: str | None, results_block: str | None) -> bytes | None:
    """The content at `key` under the results block or URI, or None when nothing is there."""
    try:
        if results_block:
            return storage.read_from_block(results_block, key)
        if results_uri:
            return storage.read_bytes(storage.join_uri(results_uri, key))
    except FileNotFoundError:
        return None
    raise ValueError("no results location: pass results_uri or results_block")
