"""Parse JHU CSSE daily-report CSVs (both header eras) and aggregate them per region.

Pure functions: bytes in, DataFrames out. A region is a `Province_State` + `Country_Region`
pair; rows without a province (whole countries, e.g. `,Italy,...` in 2020) take the country
name as their `Province_State`, so those countries stay forecastable instead of being dropped.
"""

from __future__ import annotations

import io

import pandas as pd

REGION_COLUMNS = ("Province_State", "Country_Region")
COUNT_COLUMNS = {"Confirmed": "ConfirmedCases", "Deaths": "Fatalities"}

# Early 2020 reports use slashes and spaces; from 2020-03-22 on, underscores.
_OLD_ERA_NAMES = {
    "Province/State": "Province_State",
    "Country/Region": "Country_Region",
    "Last Update": "Last_Update",
}
_REQUIRED = ("Province_State", "Country_Region", "Confirmed", "Deaths")


class ReportFormatError(ValueError):
    """A daily report lacks the columns every JHU era has."""


def parse_report(content: bytes, source: str = "<report>") -> pd.DataFrame:
    """Read one daily-report CSV into a frame with the new-era column names.

    Accepts both header eras and a UTF-8 byte-order mark (some 2020 files start with one).
    Returns at least `Province_State`, `Country_Region`, `Confirmed`, `Deaths`.
    """
    frame = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame.columns = [str(column).strip() for column in frame.columns]
    frame = frame.rename(columns=_OLD_ERA_NAMES)
    missing = [column for column in _REQUIRED if column not in frame.columns]
    if missing:
        raise ReportFormatError(
            f"{source}: not a JHU CSSE daily report, missing column(s) {missing}; "
            f"found {list(frame.columns)}. Point data_url at the csse_covid_19_daily_reports files."
        )
    return frame


def aggregate_regions(report: pd.DataFrame) -> pd.DataFrame:
    """Sum `Confirmed` and `Deaths` per region and name them `ConfirmedCases`, `Fatalities`.

    Blank counts count as 0 (JHU leaves some cells empty). The result is sorted by region and
    has one row per `Province_State` + `Country_Region`.
    """
    frame = pd.DataFrame(
        {
            "Province_State": report["Province_State"].astype(str).str.strip(),
            "Country_Region": report["Country_Region"].astype(str).str.strip(),
        }
    )
    no_province = frame["Province_State"] == ""
    frame.loc[no_province, "Province_State"] = frame.loc[no_province, "Country_Region"]
    for source, target in COUNT_COLUMNS.items():
        counts = pd.to_numeric(report[source].astype(str).str.strip(), errors="coerce")
        frame[target] = counts.fillna(0)
    frame = frame[frame["Country_Region"] != ""]
    totals = frame.groupby(list(REGION_COLUMNS), as_index=False, sort=True)[
        list(COUNT_COLUMNS.values())
    ].sum()
    for column in COUNT_COLUMNS.values():
        totals[column] = totals[column].round().astype("int64")
    return totals.reset_index(drop=True)


def read_regions(content: bytes, source: str = "<report>") -> pd.DataFrame:
    """Parse and aggregate one daily report: region columns plus the two cumulative counts."""
    return aggregate_regions(parse_report(content, source))
