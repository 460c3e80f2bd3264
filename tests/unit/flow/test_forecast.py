"""The forecast row written to results."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from flow.forecast import FORECAST_COLUMNS, forecast_table

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
