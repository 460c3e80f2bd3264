"""The public seam: train_forecaster, Forecaster.predict/to_dict/from_dict, score."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from flow.forecasting import BaselineForecaster, Forecaster, score, train_forecaster
from flow.series import FORECAST_COLUMNS, HUB_TARGET


def weekly_series() -> pd.DataFrame:
    weeks = pd.date_range(end="2026-03-28", periods=20, freq="7D")
    rng = np.random.default_rng(5)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "location": code,
                    "date": weeks,
                    "value": rng.poisson(size, len(weeks)).astype(float),
                }
            )
            for code, size in (("06", 400), ("36", 300), ("US", 5000))
        ],
        ignore_index=True,
    )


@pytest.mark.parametrize("model", ["baseline", "default"])
def test_every_model_trains_predicts_the_hub_layout_and_round_trips_through_json(
    model: str,
) -> None:
    series = weekly_series()
    forecaster = train_forecaster(series, model)
    assert (forecaster.kind, forecaster.period, forecaster.target) == (model, "week", HUB_TARGET)
    forecast = forecaster.predict(series, "2026-04-04", horizons=(0, 1, 2, 3))
    assert list(forecast.columns) == list(FORECAST_COLUMNS)
    assert (forecast["output_type"] == "quantile").all()
    rebuilt = Forecaster.from_dict(json.loads(json.dumps(forecaster.to_dict())))
    assert rebuilt.kind == model
    pd.testing.assert_frame_equal(forecast, rebuilt.predict(series, "2026-04-04", (0, 1, 2, 3)))
    truth = series.assign(date=series["date"] + pd.Timedelta(weeks=1))
    scores = score(forecast, truth)
    assert {"wis", "ae_median", "cover_50", "cover_95"} <= set(scores.columns)
    assert len(scores) == 3  # only horizon 0's target date has truth


def test_the_caller_decides_what_is_known_forecasts_anchor_at_each_location_s_last_date() -> None:
    series = weekly_series()
    lagging = series[~((series["location"] == "06") & (series["date"] > "2026-03-14"))]
    forecast = train_forecaster(lagging, "baseline").predict(lagging, "2026-04-04", (-1,))
    observed = forecast.groupby("location")["value"].first()
    last = lagging.groupby("location")["value"].last()
    # Horizon -1 is 2026-03-28: observed for US; two steps past California's last data.
    assert observed["US"] == last["US"]
    assert (forecast[forecast["location"] == "06"]["value"].nunique()) > 1


def test_an_unknown_model_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'sed'.*\['baseline', 'default'\]"):
        train_forecaster(weekly_series(), "sed")
    with pytest.raises(ValueError, match="unknown model"):
        Forecaster.from_dict({"kind": "seed", "period": "week", "target": HUB_TARGET})


def test_target_can_be_named() -> None:
    forecaster = train_forecaster(weekly_series(), "baseline", target="wk inc flu hosp")
    assert isinstance(forecaster, BaselineForecaster)
    assert forecaster.target == "wk inc flu hosp"


def test_serving_imports_neither_scikit_learn_nor_scipy() -> None:
    code = (
        "import sys, flow.forecasting, flow.backtest, flow.scoring\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'skops') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
