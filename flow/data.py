"""The seed path's names for fetching JHU CSSE daily reports by date (`DailyReports`).

They live in `flow.sources` (`daily_reports` for the look-back and by-date cache, `fetch` for
https/S3/local reads with retries) since the sources share them; this module keeps the names the
flows and tests import. Every report read here is validated: bad data raises
`flow.sources.SourceDataError` (`flow.reports.ReportFormatError`) naming its URL.
"""

from __future__ import annotations

from flow.sources.daily_reports import (
    DEFAULT_DATA_URL,
    JHU_LAST_REPORT,
    DailyReports,
    NoReportError,
    report_location,
    validate_template,
)
from flow.sources.fetch import DataSourceError, RetryPolicy, fetch_http, fetch_location

__all__ = [
    "DEFAULT_DATA_URL",
    "JHU_LAST_REPORT",
    "DailyReports",
    "DataSourceError",
    "NoReportError",
    "RetryPolicy",
    "fetch_http",
    "fetch_location",
    "report_location",
    "validate_template",
]
