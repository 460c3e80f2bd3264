"""The forecast row written to results."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from flow.forecast import (
    FORECAST_COLUMNS,
    forecast_table,
    quantile_summary,
    seed_display_table,
    seed_shaped_from_quantiles,
    whole_counts,
)
from flow.series import DAILY_CASES_TARGET, DAILY_DEATHS_TARGET
from flow.series import FORECAST_COLUMNS as HUB_COLUMNS
from tests.unit.flow.test_hub_output import quantile_forecast

RUN = "0123456789abcdef0123456789abcdef"


def test_forecast_row_has_the_seed_columns_then_country_and_data_day() -> None:
    region = pd.DataFrame(
        [("Madrid", "Spain", 99, 9)],
        columns=["Province_State", "Country_Region", "ConfirmedCases", "Fatalities"],
    )
    table = forecast_table(region, date(2021, 2, 10), np.array([[math.log(1001), 4.0]]), RUN)
    assert list(table.columns) == list(FORECAST_COLUMNS)
    assert list(table.columns)[:5] == [
        "Province_State",
        "Date",
        "pred_out_ConfirmedCases",
        "pred_out_Fatalities",
        "model_version",
    ]
    row = table.iloc[0]
    assert row["Province_State"] == "Madrid"
    assert row["Date"] == "2021-02-11"
    assert row["data_date"] == "2021-02-10"
    assert row["pred_out_ConfirmedCases"] == pytest.approx(1000.0)
    assert row["pred_out_Fatalities"] == pytest.approx(math.expm1(4.0))
    assert row["model_version"] == RUN
    assert row["Country_Region"] == "Spain"


def test_what_a_person_reads_has_whole_counts_and_the_csv_keeps_full_precision() -> None:
    region = pd.DataFrame(
        [("Madrid", "Spain", 99, 9)],
        columns=["Province_State", "Country_Region", "ConfirmedCases", "Fatalities"],
    )
    table = forecast_table(region, date(2021, 2, 10), np.array([[14.37, 10.2]]), RUN)
    shown = seed_display_table(table)
    assert shown.at[0, "pred_out_ConfirmedCases"] == round(math.expm1(14.37))
    assert str(shown.at[0, "pred_out_Fatalities"]) == str(round(math.expm1(10.2)))
    assert "." not in shown.to_csv(index=False).splitlines()[1].split(",")[2]
    assert table.at[0, "pred_out_ConfirmedCases"] == pytest.approx(math.expm1(14.37), rel=1e-12)
    assert table.at[0, "pred_out_ConfirmedCases"] != shown.at[0, "pred_out_ConfirmedCases"]


def test_an_empty_count_stays_empty_when_rounded() -> None:
    frame = pd.DataFrame({"a": [1.4, np.nan, 2.6]})
    assert whole_counts(frame, ["a"])["a"].tolist() == [1, pd.NA, 3]


def test_the_quantile_summary_is_one_row_per_location_and_horizon() -> None:
    forecast = quantile_forecast({"06": 1000.4, "US": 20000.0})
    summary = quantile_summary(forecast, {"06": "California"})
    assert list(summary.columns) == [
        "location",
        "name",
        "horizon",
        "target_end_date",
        "median",
        "50% low",
        "50% high",
        "95% low",
        "95% high",
    ]
    assert len(summary) == 2 * 5
    row = summary[(summary["location"] == "06") & (summary["horizon"] == 1)].iloc[0]
    assert (row["name"], row["target_end_date"], row["median"]) == (
        "California",
        "2026-04-11",
        1000,
    )
    assert row["95% low"] < row["50% low"] < row["median"] < row["50% high"] < row["95% high"]
    assert summary[summary["location"] == "US"]["name"].unique().tolist() == ["US"]


def daily_forecast(reference: date, medians: dict[str, float]) -> pd.DataFrame:
    rows = []
    for location, median in medians.items():
        for horizon in (1, 2):
            for level, value in ((0.25, median - 5), (0.5, median), (0.75, median + 5)):
                rows.append(
                    (
                        pd.Timestamp(reference),
                        DAILY_CASES_TARGET,
                        horizon,
                        pd.Timestamp(reference) + pd.Timedelta(days=horizon),
                        location,
                        "quantile",
                        level,
                        value + 100 * (horizon - 1),
                    )
                )
    return pd.DataFrame(rows, columns=list(HUB_COLUMNS))


def test_a_quantile_model_on_jhu_gives_the_seed_columns_from_the_next_day_median() -> None:
    region = pd.DataFrame(
        [("Madrid", "Spain", 1000.0, 50.0)],
        columns=["Province_State", "Country_Region", "ConfirmedCases", "Fatalities"],
    )
    forecast = daily_forecast(date(2021, 2, 10), {"Madrid (Spain)": 40.0})
    table = seed_shaped_from_quantiles(
        region, ["Madrid (Spain)"], date(2021, 2, 10), forecast, RUN, DAILY_CASES_TARGET
    )
    assert list(table.columns) == list(FORECAST_COLUMNS)
    row = table.iloc[0]
    assert (row["Date"], row["data_date"]) == ("2021-02-11", "2021-02-10")
    assert row["pred_out_ConfirmedCases"] == 1040.0  # cumulative + the next day's median
    assert math.isnan(row["pred_out_Fatalities"])  # a cases model does not invent deaths
    deaths = seed_shaped_from_quantiles(
        region, ["Madrid (Spain)"], date(2021, 2, 10), forecast, RUN, DAILY_DEATHS_TARGET
    ).iloc[0]
    assert deaths["pred_out_Fatalities"] == 90.0
    assert math.isnan(deaths["pred_out_ConfirmedCases"])
