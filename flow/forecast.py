"""Assemble the forecast output row: the seed's columns plus the country and the data day used."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from flow.features import TARGETS, to_counts

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
