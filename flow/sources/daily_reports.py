"""JHU CSSE daily reports by date from a URL template, and the `jhu-daily` series.

The template is Python format syntax with one field, `date` (see `DEFAULT_DATA_URL`). A
`DailyReports` instance reads each day at most once, remembers misses too, validates every
report it reads (`flow.sources.jhu.read_regions`) and answers "the latest report on or before a
day" within a bounded look-back.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
import pandas as pd

from flow.sources.fetch import RetryPolicy, fetch_location
from flow.sources.jhu import Logger, daily_incident, read_regions
from flow.sources.validation import SourceDataError

DEFAULT_DATA_URL = (
    "https://raw.githubusercontent.com/CSSEGISandData/COVID-19/master/"
    "csse_covid_19_data/csse_covid_19_daily_reports/{date:%m-%d-%Y}.csv"
)
# JHU CSSE stopped on 2023-03-10; its last daily report is for 2023-03-09.
JHU_LAST_REPORT = date(2023, 3, 9)
# How far back from `as_of` to look for the latest report, and how many days a series covers
# when no `start` is given.
DEFAULT_LOOKBACK_DAYS = 7
DEFAULT_HISTORY_DAYS = 28


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


@dataclass
class DailyReports:
    """Aggregated daily reports from one URL template, each day read at most once.

    Misses are remembered too, so a look-back followed by a window over the same days costs one
    read per day. A report that fails validation raises `ReportFormatError` (a
    `SourceDataError`) naming its URL. Call `close()` when done (it releases the HTTP pool).
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
            self._seen[day] = (
                None if content is None else read_regions(content, location, self.logger)
            )
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


def load_daily_series(
    template: str,
    as_of: date,
    start: date | None,
    *,
    count: str,
    logger: Logger,
    retry: RetryPolicy | None = None,
) -> pd.DataFrame:
    """The `jhu-daily` series: daily incident `count` per region up to the latest report on or
    before `as_of` (within `DEFAULT_LOOKBACK_DAYS`), from `start` or `DEFAULT_HISTORY_DAYS`
    before it. Raises `NoReportError` when no report is in the look-back, `SourceDataError`
    for a bad report or when no daily value can be computed."""
    reports = DailyReports(template, logger=logger, retry=retry or RetryPolicy())
    try:
        last, _ = reports.latest(as_of, DEFAULT_LOOKBACK_DAYS)
        first = start if start is not None else last - timedelta(days=DEFAULT_HISTORY_DAYS - 1)
        if first > last:
            raise ValueError(f"start {first} is after the latest report ({last}, as_of {as_of})")
        window = reports.window(first - timedelta(days=1), last)
    finally:
        reports.close()
    series = daily_incident(window, count, first, last, logger)
    if series.empty:
        raise SourceDataError(
            template,
            [
                f"no daily {count} value from {first} to {last}: a value needs the reports of "
                f"two consecutive days, found reports for {sorted(map(str, window))}"
            ],
        )
    logger.info(
        "jhu-daily: %d region(s), %d daily %s value(s) from %s to %s",
        series["location"].nunique(),
        len(series),
        count,
        first,
        last,
    )
    return series
