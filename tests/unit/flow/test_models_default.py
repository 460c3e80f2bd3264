"""The default model: damped log-trend, weekday profile, pooled residual quantiles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from flow.forecasting import DefaultForecaster, Forecaster, score, train_forecaster
from flow.series import DAILY_CASES_TARGET, QUANTILE_LEVELS
from tests.real_data import VINTAGE_2026_03_28 as HUB_FILE
from tests.real_data import needs_real_data


def hub_series(until: str) -> pd.DataFrame:
    frame = pd.read_csv(HUB_FILE, dtype={"location": str})
    series = pd.DataFrame(
        {
            "location": frame["location"],
            "date": pd.to_datetime(frame["date"]),
            "value": frame["value"].astype("float64"),
        }
    )
    return series[series["date"] <= until].sort_values(["location", "date"], ignore_index=True)


def weekday_series(weeks: int = 8, growth: float = 1.0) -> pd.DataFrame:
    """Three regions reporting Monday-Friday only (Monday carries the weekend), none on weekends."""
    days = pd.date_range("2021-01-04", periods=7 * weeks, freq="D")  # starts on a Monday
    rng = np.random.default_rng(3)
    frames = []
    for location, size in (("A", 1000.0), ("B", 200.0), ("C", 50.0)):
        trend = size * growth ** (np.arange(len(days)) / 7)
        weekday = np.array([2.5, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])[days.dayofweek]
        noise = rng.lognormal(0.0, 0.1, len(days))
        frames.append(
            pd.DataFrame(
                {"location": location, "date": days, "value": np.round(trend * weekday * noise)}
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_a_region_silent_on_weekends_is_forecast_zero_on_weekends_only() -> None:
    series = weekday_series()
    forecaster = train_forecaster(series, "default")
    assert (forecaster.period, forecaster.target) == ("day", DAILY_CASES_TARGET)
    last = series["date"].max()  # a Sunday
    forecast = forecaster.predict(series, last, horizons=range(1, 8))
    medians = forecast[forecast["output_type_id"] == 0.5].set_index(
        ["location", "target_end_date"]
    )["value"]
    for location in ("A", "B", "C"):
        by_day = medians[location]
        weekend = by_day[by_day.index.dayofweek >= 5]
        weekdays = by_day[by_day.index.dayofweek < 5]
        assert (weekend == 0).all()
        assert (weekdays > 0).all()
        # Monday carries the weekend's cases.
        assert by_day[by_day.index.dayofweek == 0].iloc[0] > 1.8 * weekdays.iloc[1:].mean()


@needs_real_data
def test_quantiles_are_ordered_non_negative_and_widen_with_the_horizon() -> None:
    series = hub_series("2026-01-31")
    forecast = train_forecaster(series, "default").predict(series, "2026-02-07", (0, 1, 2, 3))
    values = forecast["value"].to_numpy().reshape(-1, len(QUANTILE_LEVELS))
    assert (values >= 0).all()
    assert (np.diff(values, axis=1) >= 0).all()
    us = forecast[forecast["location"] == "US"].pivot(
        index="horizon", columns="output_type_id", values="value"
    )
    widths = (us[0.975] - us[0.025]).to_numpy()
    assert (np.diff(widths) > 0).all()


def test_a_steadily_growing_series_is_forecast_to_keep_growing() -> None:
    weeks = pd.date_range(end="2026-03-28", periods=30, freq="7D")
    rng = np.random.default_rng(1)
    series = pd.concat(
        [
            pd.DataFrame(
                {
                    "location": f"{i:02d}",
                    "date": weeks,
                    "value": np.round(100 * 1.1 ** np.arange(30) * rng.lognormal(0, 0.05, 30)),
                }
            )
            for i in range(5)
        ],
        ignore_index=True,
    )
    forecast = train_forecaster(series, "default").predict(series, "2026-04-04", (0, 1, 2, 3))
    medians = forecast[(forecast["location"] == "00") & (forecast["output_type_id"] == 0.5)][
        "value"
    ].to_numpy()
    last = series[series["location"] == "00"]["value"].iloc[-1]
    # The damped trend alone under-shoots steady growth; the residual medians learned out of
    # sample correct that, so the forecast keeps near the 10% weekly growth.
    assert (np.diff(np.concatenate([[last], medians])) > 0).all()
    assert medians[-1] == pytest.approx(last * 1.1**4, rel=0.15)


@needs_real_data
def test_json_round_trip_predicts_exactly_the_same() -> None:
    series = hub_series("2026-01-31")
    forecaster = train_forecaster(series, "default")
    rebuilt = Forecaster.from_dict(json.loads(json.dumps(forecaster.to_dict())))
    assert isinstance(rebuilt, DefaultForecaster)
    pd.testing.assert_frame_equal(
        forecaster.predict(series, "2026-02-07", (-1, 0, 1, 2, 3)),
        rebuilt.predict(series, "2026-02-07", (-1, 0, 1, 2, 3)),
    )


def test_negative_corrections_count_as_zero_new_cases() -> None:
    series = weekday_series()
    corrected = series.copy()
    corrected.loc[corrected.index[-3], "value"] = -5000.0  # a Friday's downward revision
    with_zero = series.copy()
    with_zero.loc[with_zero.index[-3], "value"] = 0.0
    last = series["date"].max()
    forecaster = train_forecaster(series, "default")
    pd.testing.assert_frame_equal(
        forecaster.predict(corrected, last, (1, 2)), forecaster.predict(with_zero, last, (1, 2))
    )


def test_beats_the_baseline_on_the_weekday_pattern_out_of_sample() -> None:
    series = weekday_series(weeks=10, growth=0.9)
    origin = series["date"].max() - pd.Timedelta(days=14)
    known = series[series["date"] <= origin]
    wis = {
        model: score(train_forecaster(known, model).predict(known, origin, range(1, 8)), series)[
            "wis"
        ].mean()
        for model in ("default", "baseline")
    }
    assert wis["default"] < 0.6 * wis["baseline"]


def test_too_short_a_series_is_refused_with_what_it_needs() -> None:
    with pytest.raises(ValueError, match="needs a longer series"):
        train_forecaster(weekday_series(weeks=1), "default")


def test_the_trend_is_pooled_across_locations_and_locations_picks_the_rows() -> None:
    weeks = pd.date_range(end="2026-03-28", periods=30, freq="7D")
    rng = np.random.default_rng(9)
    rising = [
        pd.DataFrame(
            {
                "location": f"{i:02d}",
                "date": weeks,
                "value": np.round(200 * 1.15 ** np.arange(30) * rng.lognormal(0, 0.05, 30)),
            }
        )
        for i in range(6)
    ]
    flat = pd.DataFrame({"location": "99", "date": weeks, "value": np.full(30, 1000.0)})
    series = pd.concat([*rising, flat], ignore_index=True)
    forecaster = train_forecaster(series, "default")
    alone = forecaster.predict(flat, "2026-04-04", (0, 1))
    together = forecaster.predict(series, "2026-04-04", (0, 1), locations=["99"])
    median = together[together["output_type_id"] == 0.5]["value"].to_numpy()
    # Beside rising locations the flat one is expected to rise more than on its own.
    alone_median = alone[alone["output_type_id"] == 0.5]["value"].to_numpy()
    assert (median > 1.03 * alone_median).all()
    everyone = forecaster.predict(series, "2026-04-04", (0, 1))
    pd.testing.assert_frame_equal(
        together, everyone[everyone["location"] == "99"].reset_index(drop=True)
    )
    with pytest.raises(ValueError, match=r"no data for location\(s\) \['XX'\]"):
        forecaster.predict(series, "2026-04-04", (0,), locations=["XX"])
