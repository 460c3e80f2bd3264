"""The two frames every source, model and writer agrees on: *series* and *forecast*.

A **series** frame holds incident counts, one row per location and period:

    location  str             the source's location id (hub: `US` or a 2-digit FIPS code;
                              JHU: the region label, e.g. `Madrid (Spain)`)
    date      datetime64      the END of the period (a day, or the Saturday ending a week)
    value     float64         incident count of that period (JHU: differences of cumulative
                              counts, so a publisher's downward correction is a negative value)

Rows are sorted by location then date, one value per (location, date), no missing values,
and every series in a frame has the same period (one day or one week).

A **forecast** frame is the hub's quantile layout (hubverse model output):
`reference_date, target, horizon, target_end_date, location, output_type, output_type_id,
value`, with `output_type` = `quantile`, `output_type_id` = the level (float) and
`target_end_date = reference_date + horizon x period`. Dates are datetime64 in frames and ISO
strings (`YYYY-MM-DD`) in files.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

SERIES_COLUMNS = ("location", "date", "value")
FORECAST_COLUMNS = (
    "reference_date",
    "target",
    "horizon",
    "target_end_date",
    "location",
    "output_type",
    "output_type_id",
    "value",
)
# The hub's 23 levels: the median and 11 central intervals (98, 95, 90, 80, ..., 10%).
QUANTILE_LEVELS = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.15,
    0.2,
    0.25,
    0.3,
    0.35,
    0.4,
    0.45,
    0.5,
    0.55,
    0.6,
    0.65,
    0.7,
    0.75,
    0.8,
    0.85,
    0.9,
    0.95,
    0.975,
    0.99,
)
OUTPUT_TYPE = "quantile"
# Hub target names: weekly NHSN admissions (the hub's own), and the JHU daily counts.
HUB_TARGET = "wk inc covid hosp"
DAILY_CASES_TARGET = "inc case"
DAILY_DEATHS_TARGET = "inc death"
HUB_HORIZONS = (-1, 0, 1, 2, 3)

Period = Literal["day", "week"]
PERIOD_DAYS: dict[str, int] = {"day": 1, "week": 7}


def infer_period(series: pd.DataFrame) -> Period:
    """`day` or `week`, from the spacing of each location's dates (a single date: `week` if a
    Saturday, else `day`). Raises ValueError for any other spacing."""
    dates = pd.to_datetime(series["date"])
    steps = dates.groupby(series["location"].to_numpy()).diff().dropna().dt.days
    if steps.empty:
        return "week" if bool((dates.dt.dayofweek == 5).all()) else "day"
    smallest = int(steps.min())
    if smallest == 7 and bool((steps % 7 == 0).all()):
        return "week"
    if smallest == 1:
        return "day"
    raise ValueError(f"series dates are {smallest} days apart; expected 1 (daily) or 7 (weekly)")


def empty_series() -> pd.DataFrame:
    """A series frame with no rows and the right dtypes."""
    return pd.DataFrame(
        {
            "location": pd.Series(dtype="object"),
            "date": pd.Series(dtype="datetime64[ns]"),
            "value": pd.Series(dtype="float64"),
        }
    )
