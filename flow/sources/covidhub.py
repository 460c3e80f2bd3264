"""The CDC COVID-19 Forecast Hub's weekly hospital admissions (`covidhub`): one CSV, every week.

`read_covidhub` is pure (bytes in, series out) and accepts every layout the hub's target file
has had, matched by column names in any order:

    state,target_end_date,value,location        (2025-26 season, current)
    state,date,value,location                   (2024-25 season)
    "date","state","value","location"           (the first file, every field quoted)
    state,date,observation,location,as_of,target  (the short-lived hubverse time-series file)

In the hubverse layout `target` must be `wk inc covid hosp`, and when a week appears in several
`as_of` vintages the latest vintage is used. Anything else is refused naming the header found.

Every row is checked before a model sees it: the location is one of the hub's 53 codes and its
`state` the matching USPS code, the date a Saturday written YYYY-MM-DD, the value a whole number
>= 0, one value per location and week. All problems of a file are reported together in one
`SourceDataError` naming the file.
"""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd

from flow.locations import HUB_CODES, HUB_LOCATIONS
from flow.series import HUB_TARGET
from flow.sources.fetch import RetryPolicy, fetch_file
from flow.sources.validation import (
    Problems,
    SourceDataError,
    Table,
    check_not_blank,
    check_unique,
    parse_counts,
    parse_dates,
    read_table,
)

DEFAULT_URL = (
    "https://raw.githubusercontent.com/CDCgov/covid19-forecast-hub/main/target-data/"
    "covid-hospital-admissions.csv"
)

# Column names of each layout -> (date column, value column).
LAYOUTS: dict[frozenset[str], tuple[str, str]] = {
    frozenset({"state", "target_end_date", "value", "location"}): ("target_end_date", "value"),
    frozenset({"state", "date", "value", "location"}): ("date", "value"),
    frozenset({"state", "date", "observation", "location", "as_of", "target"}): (
        "date",
        "observation",
    ),
}
_LAYOUT_NAMES = (
    "state,target_end_date,value,location",
    "state,date,value,location",
    '"date","state","value","location"',
    "state,date,observation,location,as_of,target",
)
_USPS = {location.code: location.usps for location in HUB_LOCATIONS}
_LOCATION_EXPECTED = (
    "a hub location code: US, or the 2-digit FIPS code of a state, DC (11) or PR (72)"
)

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]
_LOG = logging.getLogger(__name__)


def read_covidhub(content: bytes, source_name: str) -> pd.DataFrame:
    """The weekly admissions in one hub target-data file, as a series frame.

    `source_name` (the file or URL) is named in every error. Raises `SourceDataError` listing
    every problem of the file.
    """
    table, problems = read_table(content, source_name)
    layout = LAYOUTS.get(frozenset(table.header))
    if layout is None:
        # The header decides what the rest means: its problem goes first.
        found = (
            f"header {','.join(table.header)!r} is not a Forecast Hub target-data layout; "
            f"expected the columns of one of: {'; '.join(_LAYOUT_NAMES)}"
        )
        raise SourceDataError(source_name, [found, *problems.found])
    date_column, value_column = layout
    locations = _check_locations(table, problems)
    dates = parse_dates(table, date_column, problems, saturday=True)
    values = parse_counts(
        table, value_column, problems, expected="a weekly count: a whole number >= 0"
    )
    vintages: list[date | None] = [None] * len(table.rows)
    if "as_of" in table.header:
        vintages = parse_dates(table, "as_of", problems)
        targets = table.column("target")
        problems.add_cells(
            "target",
            [(line, t) for line, t in zip(table.lines, targets, strict=True) if t != HUB_TARGET],
            f"{HUB_TARGET!r} (the hub's weekly admissions target)",
        )
    if "as_of" in table.header:
        keys = list(zip(locations, dates, vintages, strict=True))
        check_unique(keys, table.lines, "location, week and as_of", problems)
    else:
        check_unique(zip(locations, dates, strict=True), table.lines, "location and week", problems)
    problems.raise_if_any()
    frame = pd.DataFrame(
        {"location": locations, "date": dates, "vintage": vintages, "value": values}
    )
    # Several vintages of one week (hubverse as_of): the latest is the best-known value.
    frame = frame.sort_values("vintage", kind="stable").drop_duplicates(
        ["location", "date"], keep="last"
    )
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["value"] = frame["value"].astype("float64")
    frame["location"] = frame["location"].astype("object")
    return frame.sort_values(["location", "date"]).reset_index(drop=True)[
        ["location", "date", "value"]
    ]


def _check_locations(table: Table, problems: Problems) -> list[str]:
    locations = table.column("location")
    check_not_blank(table, "state", problems, "the location's USPS code (CA, US ...)")
    unknown = [
        (line, code)
        for line, code in zip(table.lines, locations, strict=True)
        if code not in HUB_CODES
    ]
    problems.add_cells("location", unknown, _LOCATION_EXPECTED)
    mismatched = [
        (line, f"{state} for location {code}")
        for line, state, code in zip(table.lines, table.column("state"), locations, strict=True)
        if code in HUB_CODES and state and state != _USPS[code]
    ]
    problems.add_cells("state", mismatched, "the USPS code of the row's location")
    return locations


def load_covidhub(
    url: str,
    as_of: date | None,
    start: date | None,
    *,
    logger: Logger = _LOG,
    retry: RetryPolicy | None = None,
) -> pd.DataFrame:
    """Fetch the hub file once and return its weeks from `start` to `as_of` (both optional).

    Raises `DataSourceError` when the file cannot be fetched, `SourceDataError` when it is bad
    or has no week in the range. Logs the weeks read and any location-weeks missing.
    """
    series = read_covidhub(fetch_file(url, retry), url)
    first, last = series["date"].min().date(), series["date"].max().date()
    chosen = series
    if start is not None:
        chosen = chosen[chosen["date"] >= pd.Timestamp(start)]
    if as_of is not None:
        chosen = chosen[chosen["date"] <= pd.Timestamp(as_of)]
    if chosen.empty:
        raise SourceDataError(
            url,
            [
                f"no week from {start or 'the first'} to {as_of or 'the last'}; the file has weeks "
                f"{first}..{last}"
            ],
        )
    chosen = chosen.reset_index(drop=True)
    weeks = chosen["date"].nunique()
    locations = chosen["location"].nunique()
    logger.info(
        "covidhub: %s has %d rows, weeks %s..%s; using %d week(s) %s..%s for %d location(s)",
        url,
        len(series),
        first,
        last,
        weeks,
        chosen["date"].min().date(),
        chosen["date"].max().date(),
        locations,
    )
    missing = weeks * locations - len(chosen)
    if missing:
        logger.warning(
            "covidhub: %d location-week(s) missing in the range (not every location reports "
            "every week); those weeks are absent from the series, not filled",
            missing,
        )
    return chosen
