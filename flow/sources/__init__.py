"""Every data source behind one call: `load_series(source, url, as_of, start)` -> series frame.

Sources (`SOURCES`):

- `jhu-daily`: JHU CSSE daily reports, one CSV per day of cumulative counts (`url` is a
  template with a `{date}` field). The series is the daily incident `count` ("cases" or
  "deaths") per region: the difference of consecutive days' cumulative counts, labelled
  `location_label(province, country)`. Without `start`, the last `DEFAULT_HISTORY_DAYS` days up
  to the latest report on or before `as_of` (looked for `DEFAULT_LOOKBACK_DAYS` back).
- `covidhub`: the CDC COVID-19 Forecast Hub's weekly hospital admissions, one CSV of every
  week, fetched once per call. Without `start`, every week in the file up to `as_of`.

Every file is validated before a series is returned (`flow.sources.validation`); bad data
raises `SourceDataError` naming the file, the line or column, the value and what was expected.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pandas as pd

from flow.sources.covidhub import DEFAULT_URL as COVIDHUB_URL
from flow.sources.covidhub import load_covidhub, read_covidhub
from flow.sources.daily_reports import (
    DEFAULT_DATA_URL,
    DEFAULT_HISTORY_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    NoReportError,
    load_daily_series,
)
from flow.sources.fetch import DataSourceError, RetryPolicy
from flow.sources.jhu import COUNTS, Logger, location_label
from flow.sources.validation import SourceDataError

SOURCES = ("jhu-daily", "covidhub")
DEFAULT_URLS = {"jhu-daily": DEFAULT_DATA_URL, "covidhub": COVIDHUB_URL}

__all__ = [
    "COUNTS",
    "DEFAULT_HISTORY_DAYS",
    "DEFAULT_LOOKBACK_DAYS",
    "DEFAULT_URLS",
    "SOURCES",
    "DataSourceError",
    "NoReportError",
    "RetryPolicy",
    "SourceDataError",
    "load_series",
    "location_label",
    "read_covidhub",
]


def load_series(
    source: str,
    url: str | None = None,
    as_of: date | str | None = None,
    start: date | str | None = None,
    *,
    logger: Logger | None = None,
    count: str = "cases",
    retry: RetryPolicy | None = None,
) -> pd.DataFrame:
    """The series of `source` (see the module docstring) from `start` up to `as_of` inclusive.

    `url=None` uses `DEFAULT_URLS[source]`. Dates may be `date`, `datetime` or ISO strings.
    `count` applies to `jhu-daily` only (the hub file has one count, weekly admissions).
    Raises `SourceDataError` for bad data, `DataSourceError` when the file cannot be fetched,
    `NoReportError` when no JHU report is in the look-back, and
    ValueError for bad arguments.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {list(SOURCES)}, got {source!r}")
    if count not in COUNTS:
        raise ValueError(f"count must be one of {sorted(COUNTS)}, got {count!r}")
    log = logger if logger is not None else logging.getLogger(__name__)
    location = url or DEFAULT_URLS[source]
    first, last = _as_date(start, "start"), _as_date(as_of, "as_of")
    if source == "covidhub":
        return load_covidhub(location, last, first, logger=log, retry=retry)
    today = datetime.now(UTC).date()
    return load_daily_series(location, last or today, first, count=count, logger=log, retry=retry)


def _as_date(value: date | str | None, name: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from None
