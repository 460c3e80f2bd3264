"""The hub's flat baseline, for weekly and daily series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flow.forecasting import train_forecaster
from flow.series import FORECAST_COLUMNS, HUB_TARGET, QUANTILE_LEVELS


def weekly(values: dict[str, list[float]], last: str = "2026-03-28") -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {
                "location": location,
                "date": pd.date_range(end=last, periods=len(counts), freq="7D"),
                "value": np.asarray(counts, dtype="float64"),
            }
        )
        for location, counts in values.items()
    ]
    return pd.concat(frames, ignore_index=True)


def quantile_table(forecast: pd.DataFrame, location: str) -> pd.DataFrame:
    rows = forecast[forecast["location"] == location]
    return rows.pivot(index="horizon", columns="output_type_id", values="value")


def test_median_is_the_last_value_flat_and_the_spread_widens_with_the_horizon() -> None:
    series = weekly({"06": [100, 120, 90, 130, 110, 150, 140], "US": [1000, 1100, 1050, 1200]})
    forecaster = train_forecaster(series, "baseline")
    forecast = forecaster.predict(series, "2026-04-04", horizons=(-1, 0, 1, 2, 3))
    assert list(forecast.columns) == list(FORECAST_COLUMNS)
    assert set(forecast["target"]) == {HUB_TARGET}
    assert len(forecast) == 2 * 5 * len(QUANTILE_LEVELS)
    table = quantile_table(forecast, "06")
    # Hub rule: data end at reference_date - 7, which is horizon -1: the observation itself.
    assert (table.loc[-1] == 140).all()
    assert (table[0.5] == 140).all()
    widths = (table[0.975] - table[0.025]).to_numpy()
    assert 0 < widths[1] < widths[2] < widths[3] < widths[4]
    dates = forecast.drop_duplicates("horizon").set_index("horizon")["target_end_date"]
    assert dates[0] == pd.Timestamp("2026-04-04")
    assert dates[3] == pd.Timestamp("2026-04-25")


def test_one_step_quantiles_are_the_last_value_plus_symmetrised_differences() -> None:
    series = weekly({"06": [10, 14, 12, 20]})  # differences 4, -2, 8 and their negatives
    forecast = train_forecaster(series, "baseline", nsim=100001).predict(
        series, "2026-04-04", horizons=(0,), levels=(0.01, 0.5, 0.99)
    )
    spread = np.array([4, -2, 8, -4, 2, -8], dtype=float)
    expected = 20 + np.quantile(spread, [0.01, 0.5, 0.99])
    np.testing.assert_allclose(forecast["value"], expected, atol=1e-3)


def test_quantiles_are_clipped_at_zero_and_do_not_cross() -> None:
    series = weekly({"02": [3, 30, 2, 40, 1]})
    forecast = train_forecaster(series, "baseline").predict(series, "2026-04-04", (0, 1, 2, 3))
    assert (forecast["value"] >= 0).all()
    table = quantile_table(forecast, "02")
    assert (np.diff(table.to_numpy(), axis=1) >= 0).all()
    assert (table[0.01] == 0).all()


def test_daily_series_and_negative_corrections_are_data() -> None:
    days = pd.date_range("2021-01-01", periods=6, freq="D")
    series = pd.DataFrame(
        {"location": "Madrid (Spain)", "date": days, "value": [50.0, 60, -30, 55, 70, 65]}
    )
    forecaster = train_forecaster(series, "baseline")
    assert forecaster.period == "day"
    forecast = forecaster.predict(series, "2021-01-06", horizons=(1, 2))
    assert quantile_table(forecast, "Madrid (Spain)")[0.5].tolist() == [65.0, 65.0]
    # The -30 correction's jumps (-90, +85) are in the spread: the 99% quantile reaches them.
    assert quantile_table(forecast, "Madrid (Spain)").loc[1, 0.99] > 65 + 80


def test_the_same_inputs_give_the_same_forecast() -> None:
    series = weekly({"06": [100, 120, 90, 130, 110]})
    first = train_forecaster(series, "baseline").predict(series, "2026-04-04", (0, 1, 2, 3))
    again = train_forecaster(series, "baseline").predict(series, "2026-04-04", (0, 1, 2, 3))
    pd.testing.assert_frame_equal(first, again)


def test_bad_simulation_size_is_refused() -> None:
    with pytest.raises(ValueError, match="nsim must be at least 2"):
        train_forecaster(weekly({"06": [1, 2]}), "baseline", nsim=1)
