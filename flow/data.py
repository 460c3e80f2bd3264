"""Fetch JHU CSSE daily reports by date from a URL template.

The template is Python format syntax with one field, `date` (see `DEFAULT_DATA_URL`). https://
URLs are fetched with retries on transient errors; `s3://`, `file://` and plain local paths are
read through fsspec. A `DailyReports` instance reads each day at most once, remembers misses too,
and answers "the latest report on or before a day" within a bounded look-back.
"""

from __future__ import annotations

import logging
import string
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
import pandas as pd

from flow.reports import read_regions
from flow.storage import read_bytes

DEFAULT_DATA_URL = (
    "https://raw.githubusercontent.com/CSSEGISandData/COVID-19/master/"
    "csse_covid_19_data/csse_covid_19_daily_reports/{date:%m-%d-%Y}.csv"
)
# JHU CSSE stopped on 2023-03-10; its last daily report is for 2023-03-09.
JHU_LAST_REPORT = date(2023, 3, 9)

_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]


class DataSourceError(RuntimeError):
    """A report could not be read for a reason other than "that day does not exist"."""


class NoReportError(LookupError):
    """No report exists in the look-back window."""


def validate_template(template: str) -> None:
    """Fail unless `template` is a format string whose only field is `date`."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        template.format(date=date(2021, 1, 1))
    except (ValueError, KeyError, IndexError) as exc:
        fields = {f"<unparsable: {exc}>"}
    if fields != {"date"}:
        raise ValueError(
            f"data_url {template!r} must be a format template with exactly one field, {{date}}, "
            f"e.g. {DEFAULT_DATA_URL!r}; found fields {sorted(fields)}"
        )


def report_location(template: str, day: date) -> str:
    """The URL or path of `day`'s report."""
    return template.format(date=day)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff for transient HTTP errors: attempts, then first delay."""

    attempts: int = 4
    backoff_s: float = 1.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return self.backoff_s * 2 ** (attempt - 1)


def fetch_http(url: str, retry: RetryPolicy, client: httpx.Client) -> bytes | None:
    """GET `url`: its body, or None when it does not exist (404). Retries transient failures."""
    last_problem = ""
    for attempt in range(1, retry.attempts + 1):
        try:
            response = client.get(url)
        except httpx.TransportError as exc:
            last_problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 404:
                return None
            if response.status_code < 400:
                return response.content
            if response.status_code not in _TRANSIENT_STATUS:
                raise DataSourceError(
                    f"GET {url} answered HTTP {response.status_code}; check data_url"
                )
            last_problem = f"HTTP {response.status_code}"
        if attempt < retry.attempts:
            time.sleep(retry.delay(attempt))
    raise DataSourceError(f"GET {url} failed {retry.attempts} times, last: {last_problem}")


def fetch_location(location: str, retry: RetryPolicy, client: httpx.Client) -> bytes | None:
    """Read a report from https://, s3://, file:// or a local path; None when it is absent."""
    if location.startswith(("http://", "https://")):
        return fetch_http(location, retry, client)
    try:
        return read_bytes(location)
    except FileNotFoundError:
        return None


@dataclass
class DailyReports:
    """Aggregated daily reports from one URL template, each day read at most once.

    Misses are remembered too, so a look-back followed by a window over the same days costs one
    read per day. Call `close()` when done (it releases the HTTP connection pool).
    """

    template: str
    logger: Logger = field(default_factory=lambda: logging.getLogger(__name__))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    _seen: dict[date, pd.DataFrame | None] = field(default_factory=dict, init=False, repr=False)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        validate_template(self.template)

    def get(self, day: date) -> pd.DataFrame | None:
        """`day`'s regions with cumulative counts, or None when that day has no report."""
        if day not in self._seen:
            location = report_location(self.template, day)
            content = self._read(location)
            self._seen[day] = None if content is None else read_regions(content, location)
        return self._seen[day]

    def latest(self, as_of: date, lookback_days: int) -> tuple[date, pd.DataFrame]:
        """The latest report on or before `as_of`, at most `lookback_days` earlier.

        Returns the day used and its regions. Raises `NoReportError` naming the window.
        """
        if lookback_days < 0:
            raise ValueError(f"lookback_days must be >= 0, got {lookback_days}")
        for back in range(lookback_days + 1):
            day = as_of - timedelta(days=back)
            regions = self.get(day)
            if regions is not None:
                self.logger.info("Using the report of %s (as_of %s)", day, as_of)
                return day, regions
            self.logger.info("No report for %s", day)
        first = as_of - timedelta(days=lookback_days)
        hint = ""
        if first > JHU_LAST_REPORT:
            hint = (
                f" JHU CSSE published its last daily report for {JHU_LAST_REPORT}; pass an as_of on"
                " or before that day, or a data_url with current data."
            )
        raise NoReportError(
            f"No daily report between {first} and {as_of} at {self.template!r} "
            f"(lookback_days={lookback_days}).{hint}"
        )

    def window(self, first: date, last: date) -> dict[date, pd.DataFrame]:
        """Reports from `first` to `last` inclusive; a missing day is skipped with a warning."""
        reports: dict[date, pd.DataFrame] = {}
        day = first
        while day <= last:
            regions = self.get(day)
            if regions is None:
                self.logger.warning(
                    "No report for %s at %s: skipped", day, report_location(self.template, day)
                )
            else:
                reports[day] = regions
            day += timedelta(days=1)
        return reports

    def close(self) -> None:
        """Close the HTTP connection pool, if one was opened."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _read(self, location: str) -> bytes | None:
        if self._client is None:
            self._client = httpx.Client(timeout=30.0, follow_redirects=True)
        return fetch_location(location, self.retry, self._client)
