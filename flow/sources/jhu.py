"""JHU CSSE daily reports: parse and validate one report, aggregate it per region, and turn a
run of days into daily incident series. Pure functions: bytes and frames in, frames out.

A region is a `Province_State` + `Country_Region` pair; rows without a province (whole
countries, e.g. `,Italy,...` in 2020) take the country name as their `Province_State`, so those
countries stay forecastable. Names are kept exactly as published.

What is refused (`ReportFormatError`, a `SourceDataError`): text that is not a UTF-8 CSV, a
header without `Province_State`, `Country_Region`, `Confirmed`, `Deaths` (either era's
spelling), a row cut short or too long, a count that is not a whole number >= 0 (cumulative
counts cannot be negative), a row without a country, the same county/province twice, a report
with no rows. What is accepted as published: an empty `Confirmed` or `Deaths` cell (the
publisher left it blank): it adds nothing to its region's sum, and a region whose every cell
of a count is blank has no count that day, so it is left out of that day (logged with counts).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta

import pandas as pd

from flow.series import empty_series
from flow.sources.validation import (
    Problems,
    SourceDataError,
    Table,
    check_unique,
    parse_counts,
    read_table,
)

REGION_COLUMNS = ("Province_State", "Country_Region")
COUNT_COLUMNS = {"Confirmed": "ConfirmedCases", "Deaths": "Fatalities"}
# The `count` a series can hold, and the aggregated column it comes from.
COUNTS = {"cases": "ConfirmedCases", "deaths": "Fatalities"}

# Early 2020 reports use slashes and spaces; from 2020-03-22 on, underscores.
_OLD_ERA_NAMES = {
    "Province/State": "Province_State",
    "Country/Region": "Country_Region",
    "Last Update": "Last_Update",
}
_REQUIRED = ("Province_State", "Country_Region", "Confirmed", "Deaths")
# What identifies one row of a report (counties in the new era); absent columns are skipped.
_ROW_KEY = ("FIPS", "Admin2", "Province_State", "Country_Region")
_HINT = "Point data_url at the csse_covid_19_daily_reports files."

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]
_LOG = logging.getLogger(__name__)


class ReportFormatError(SourceDataError):
    """A JHU daily report that cannot be trusted (kept as the seed path's name for it)."""


def location_label(province: str, country: str) -> str:
    """A region's series label: `Madrid (Spain)`, or just `Portugal` for a country reported
    without provinces."""
    return province if province == country else f"{province} ({country})"


def parse_report(content: bytes, source: str = "<report>") -> pd.DataFrame:
    """Read and validate one daily-report CSV; new-era column names, counts as floats.

    Accepts both header eras and a UTF-8 byte-order mark (some 2020 files start with one).
    Returns every column as stripped text except `Confirmed` and `Deaths` (float, NaN where
    the publisher left the cell empty). Raises `ReportFormatError` listing every problem.
    """
    try:
        table, problems = read_table(content, source)
    except SourceDataError as exc:
        raise ReportFormatError(exc.source, exc.problems, exc.hint or _HINT) from None
    header = tuple(_OLD_ERA_NAMES.get(name, name) for name in table.header)
    table = Table(source, header, table.rows, table.lines)
    missing = [column for column in _REQUIRED if column not in header]
    if missing or len(set(header)) < len(header):
        # The header decides what the rest means: its problem goes first.
        found = f"not a JHU CSSE daily report: missing column(s) {missing}; found {list(header)}"
        if not missing:
            found = f"a column is named twice (in either era's spelling): {list(header)}"
        raise ReportFormatError(source, [found, *problems.found], _HINT)
    counts = {column: _cumulative_counts(table, column, problems) for column in COUNT_COLUMNS}
    countries = table.column("Country_Region")
    problems.add_cells(
        "Country_Region",
        [(line, c) for line, c in zip(table.lines, countries, strict=True) if c == ""],
        "a country name",
    )
    key_columns = [column for column in _ROW_KEY if column in header]
    keys = zip(*(table.column(column) for column in key_columns), strict=True)
    check_unique(keys, table.lines, f"{'/'.join(key_columns)} (one row per area)", problems)
    if problems.found:
        raise ReportFormatError(source, problems.found, _HINT)
    frame = pd.DataFrame(
        {name: table.column(name) for name in dict.fromkeys(header)}, dtype="object"
    )
    for column, values in counts.items():
        frame[column] = pd.Series(values, dtype="float64")
    return frame


def _cumulative_counts(table: Table, column: str, problems: Problems) -> list[float]:
    values = parse_counts(
        table,
        column,
        problems,
        expected="a cumulative count: a whole number >= 0, or an empty cell",
        blank_ok=True,
    )
    return [float("nan") if value is None else value for value in values]


def aggregate_regions(
    report: pd.DataFrame, source: str = "<report>", logger: Logger = _LOG
) -> pd.DataFrame:
    """Sum `Confirmed` and `Deaths` per region as `ConfirmedCases`, `Fatalities` (int64).

    A blank cell adds nothing to its region's sum; a region whose every cell of either count is
    blank is left out (it has no count that day). Both are logged with counts. The result is
    sorted by region, one row per `Province_State` + `Country_Region`.
    """
    frame = pd.DataFrame(
        {
            "Province_State": report["Province_State"].astype(str).str.strip(),
            "Country_Region": report["Country_Region"].astype(str).str.strip(),
        }
    )
    no_province = frame["Province_State"] == ""
    frame.loc[no_province, "Province_State"] = frame.loc[no_province, "Country_Region"]
    for column, target in COUNT_COLUMNS.items():
        frame[target] = pd.to_numeric(report[column], errors="raise").astype("float64")
    targets = list(COUNT_COLUMNS.values())
    blank_cells = int(frame[targets].isna().sum().sum())
    totals = frame.groupby(list(REGION_COLUMNS), as_index=False, sort=True)[targets].sum(
        min_count=1
    )
    unknown = totals[targets].isna().any(axis=1)
    if blank_cells:
        left_out = [
            location_label(p, c)
            for p, c in totals.loc[unknown, list(REGION_COLUMNS)].itertuples(index=False)
        ]
        named = f" ({', '.join(left_out[:5])}{' ...' if len(left_out) > 5 else ''})"
        logger.warning(
            "%s: %d empty Confirmed/Deaths cell(s) left by the publisher, counted as not "
            "reported; %d region(s) with no count at all left out of this day%s",
            source,
            blank_cells,
            len(left_out),
            named if left_out else "",
        )
    totals = totals[~unknown]
    for column in targets:
        totals[column] = totals[column].round().astype("int64")
    return totals.reset_index(drop=True)


def read_regions(content: bytes, source: str = "<report>", logger: Logger = _LOG) -> pd.DataFrame:
    """Parse, validate and aggregate one daily report: region columns and both cumulative counts."""
    return aggregate_regions(parse_report(content, source), source, logger)


def cumulative_frame(reports: Mapping[date, pd.DataFrame], count: str) -> pd.DataFrame:
    """Cumulative `count` of every region on every day given: rows = days, columns = labels."""
    column = COUNTS[count]
    days = {
        pd.Timestamp(day): pd.Series(
            regions[column].to_numpy(dtype="float64"),
            index=[
                location_label(p, c)
                for p, c in zip(regions["Province_State"], regions["Country_Region"], strict=True)
            ],
        )
        for day, regions in reports.items()
    }
    if not days:
        return pd.DataFrame(dtype="float64")
    return pd.DataFrame(days).T.sort_index()


def daily_incident(
    reports: Mapping[date, pd.DataFrame],
    count: str,
    first: date,
    last: date,
    logger: Logger = _LOG,
) -> pd.DataFrame:
    """Daily incident `count` per region from `first` to `last`: a series frame.

    The value of day d is the cumulative count of d minus that of d - 1, so `reports` should
    hold `first - 1` too. A value exists only when both days' reports have the region: a
    missing report (or a region missing from one) leaves those days out of the series rather
    than inventing or merging them. Negative values are the publisher's downward corrections
    and are kept. Missing days, values left out and negative values are logged with counts.
    """
    if count not in COUNTS:
        raise ValueError(f"count must be one of {sorted(COUNTS)}, got {count!r}")
    days = pd.date_range(first - timedelta(days=1), last, freq="D")
    cumulative = cumulative_frame(reports, count).reindex(days)
    missing_days = [day.date() for day in days if day not in set(map(pd.Timestamp, reports))]
    incident = cumulative.diff().iloc[1:]
    if incident.empty or incident.columns.empty:
        return empty_series()
    not_computed = int(incident.isna().sum().sum())
    series = (
        incident.rename_axis(index="date", columns="location")
        .stack(future_stack=True)
        .dropna()
        .rename("value")
        .reset_index()
    )
    if missing_days:
        logger.warning(
            "No report for %d of the %d days %s..%s (%s): %d daily value(s) not computed",
            len(missing_days),
            len(days),
            days[0].date(),
            last,
            ", ".join(str(day) for day in missing_days[:10]),
            not_computed,
        )
    elif not_computed:
        logger.warning(
            "%d daily value(s) not computed: a region was missing from one of two consecutive "
            "reports",
            not_computed,
        )
    negative = int((series["value"] < 0).sum())
    if negative:
        logger.info(
            "%d negative daily value(s) kept: the publisher revised cumulative counts down",
            negative,
        )
    series["date"] = pd.to_datetime(series["date"]).astype("datetime64[ns]")
    series["location"] = series["location"].astype("object")
    series["value"] = series["value"].astype("float64")
    return series.sort_values(["location", "date"]).reset_index(drop=True)[
        ["location", "date", "value"]
    ]
