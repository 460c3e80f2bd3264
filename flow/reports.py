"""The seed path's names for parsing JHU CSSE daily reports (both header eras) per region.

They live in `flow.sources.jhu`, which validates every report before aggregating it; this
module keeps the names the flows, features and tests import. `ReportFormatError` is a
`flow.sources.SourceDataError`, so callers catching either see every bad report.
"""

from __future__ import annotations

from flow.sources.jhu import (
    COUNT_COLUMNS,
    REGION_COLUMNS,
    ReportFormatError,
    aggregate_regions,
    parse_report,
    read_regions,
)

__all__ = [
    "COUNT_COLUMNS",
    "REGION_COLUMNS",
    "ReportFormatError",
    "aggregate_regions",
    "parse_report",
    "read_regions",
]
