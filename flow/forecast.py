"""Forecast tables: the seed-shaped output row (the seed's columns plus the country and the data
day used), and what a person reads of a forecast (whole counts, a quantile summary)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from flow.features import TARGETS, to_counts
from flow.series import DAILY_DEATHS_TARGET

FORECAST_COLUMNS = (
    "Province_State",
    "Date",
    "pred_out_ConfirmedCases",
    "pred_out_Fatalities",
    "model_version",
    "Country_Region",
    "data_date",
)


def forecast_table(
    region: pd.DataFrame, data_day: date, log_prediction: np.ndarray, run_id: str
) -> pd.DataFrame:
    """One row per region: the forecast for the day after `data_day`, in case counts.

    `region` holds the regions' rows of `data_day`'s report; `log_prediction` is the clipped
    model output (n x 2, log space) for them.
    """
    counts = to_counts(np.asarray(log_prediction, dtype="float64").reshape(-1, len(TARGETS)))
    table = pd.DataFrame(
        {
            "Province_State": region["Province_State"].to_numpy(),
            "Date": (data_day + timedelta(days=1)).isoformat(),
            "pred_out_ConfirmedCases": counts[:, 0],
            "pred_out_Fatalities": counts[:, 1],
            "model_version": run_id,
            "Country_Region": region["Country_Region"].to_numpy(),
            "data_date": data_day.isoformat(),
        }
    )
    return table[list(FORECAST_COLUMNS)]


# What a person reads (artifact tables, logs, the demo's printout) shows whole counts; the CSV
# files keep full precision.
SEED_COUNT_COLUMNS = ("pred_out_ConfirmedCases", "pred_out_Fatalities")
# Interval columns of the quantile summary: (label, lower level, upper level).
SUMMARY_INTERVALS = (("50%", 0.25, 0.75), ("95%", 0.025, 0.975))


def whole_counts(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """`table` with `columns` rounded to whole numbers (nullable integers: a blank stays blank)."""
    shown = table.copy()
    for column in columns:
        shown[column] = shown[column].astype("float64").round().astype("Int64")
    return shown


def seed_display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The seed-shaped forecast as a person reads it: whole counts."""
    return whole_counts(table, [c for c in SEED_COUNT_COLUMNS if c in table])


def quantile_summary(forecast: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """One row per location x horizon: the median and the 50% and 95% intervals, whole counts.

    `names` maps location ids to the names shown (an id without a name is shown as itself).
    """
    levels = forecast["output_type_id"].astype("float64").round(6)
    keys = ["location", "horizon", "target_end_date"]
    wide = forecast.assign(level=levels).pivot_table(
        index=keys, columns="level", values="value", aggfunc="first"
    )
    summary = pd.DataFrame(
        {
            "location": wide.index.get_level_values("location").astype(str),
            "name": [names.get(str(loc), str(loc)) for loc in wide.index.get_level_values(0)],
            "horizon": wide.index.get_level_values("horizon").astype(int),
            "target_end_date": pd.to_datetime(wide.index.get_level_values("target_end_date"))
            .strftime("%Y-%m-%d")
            .to_numpy(),
            "median": wide[0.5].to_numpy(),
        }
    )
    for label, low, high in SUMMARY_INTERVALS:
        summary[f"{label} low"] = wide[low].to_numpy()
        summary[f"{label} high"] = wide[high].to_numpy()
    counts = [
        "median",
        *(f"{label} {end}" for label, _, _ in SUMMARY_INTERVALS for end in ("low", "high")),
    ]
    return whole_counts(summary, counts)


def seed_shaped_from_quantiles(
    region: pd.DataFrame,
    labels: Sequence[str],
    data_day: date,
    forecast: pd.DataFrame,
    run_id: str,
    target: str,
) -> pd.DataFrame:
    """The seed's columns from a quantile forecast of daily incident counts on a JHU stack.

    The forecast counts are the next day's (`data_day + 1`) *new* cases or deaths; the seed's
    columns are cumulative, so each is the region's cumulative count of `data_day` plus the
    median of that next-day forecast. A model forecasts one count (`target`): the column of
    the other count is left empty rather than invented. `labels` are the regions' series
    labels (`Madrid (Spain)`), in the order of `region`'s rows.
    """
    next_day = pd.Timestamp(data_day + timedelta(days=1))
    medians = forecast[
        (forecast["output_type_id"].astype("float64").round(6) == 0.5)
        & (pd.to_datetime(forecast["target_end_date"]) == next_day)
    ].set_index("location")["value"]
    column = "Fatalities" if target == DAILY_DEATHS_TARGET else "ConfirmedCases"
    predicted = region[column].to_numpy(dtype="float64") + medians.reindex(list(labels)).to_numpy()
    empty = np.full(len(region), np.nan)
    cases, deaths = (empty, predicted) if column == "Fatalities" else (predicted, empty)
    table = pd.DataFrame(
        {
            "Province_State": region["Province_State"].to_numpy(),
            "Date": (data_day + timedelta(days=1)).isoformat(),
            "pred_out_ConfirmedCases": cases,
            "pred_out_Fatalities": deaths,
            "model_version": run_id,
            "Country_Region": region["Country_Region"].to_numpy(),
            "data_date": data_day.isoformat(),
        }
    )
    return table[list(FORECAST_COLUMNS)]
