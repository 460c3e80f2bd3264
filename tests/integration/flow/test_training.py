"""The `train` flow's quantile models: backtest metrics and rows in MLflow, loaded by run id."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import mlflow
import pandas as pd
import pytest

from flow.flows import train
from flow.model_store import load_model
from flow.sources import load_series
from tests.integration.flow.flow_env import FIRST_DAY, TRAIN_END, FlowEnv

pytestmark = pytest.mark.integration


def test_default_model_logs_its_backtest_per_horizon_and_loads_by_run_id(
    flow_env: FlowEnv, default_run_id: str
) -> None:
    client = mlflow.MlflowClient(flow_env.tracking_uri)
    run = client.get_run(default_run_id)
    params = run.data.params
    assert (params["model"], params["source"], params["period"]) == ("default", "jhu-daily", "day")
    assert (params["start"], params["end"]) == ("2021-01-01", "2021-02-05")
    metrics = run.data.metrics
    for horizon in range(1, 8):
        assert metrics[f"relative_wis_h{horizon}"] > 0
        assert 0 <= metrics[f"cover_95_h{horizon}"] <= 1
    assert metrics["relative_wis_all"] == pytest.approx(
        metrics["wis_all"] / metrics["baseline_wis_all"]
    )
    rows_file = client.download_artifacts(default_run_id, "backtest.csv")
    rows = pd.read_csv(rows_file)
    assert set(rows["model"]) == {"default", "baseline"}
    assert set(rows["horizon"]) == set(range(1, 8))
    # The rolling origins end where the last horizon still has truth in the window.
    assert rows["reference_date"].max() == "2021-01-29"

    series = load_series("jhu-daily", flow_env.local_data_url, as_of=TRAIN_END, start=FIRST_DAY)
    by_tracking: Any = load_model(default_run_id, tracking_uri=flow_env.tracking_uri)
    by_search: Any = load_model(default_run_id, artifact_root=flow_env.artifact_root)
    assert (by_tracking.kind, by_tracking.period) == ("default", "day")
    forecast = by_tracking.predict(series, pd.Timestamp(TRAIN_END), range(1, 8))
    pd.testing.assert_frame_equal(
        forecast, by_search.predict(series, pd.Timestamp(TRAIN_END), range(1, 8))
    )
    assert forecast["location"].nunique() == series["location"].nunique()
    assert (forecast["value"] >= 0).all()
    assert forecast["target_end_date"].max() == pd.Timestamp(date(2021, 2, 12))
    assert io.StringIO(forecast.to_csv(index=False)).getvalue().startswith("reference_date,")


def test_the_seed_model_is_for_jhu_only(flow_env: FlowEnv) -> None:
    with pytest.raises(ValueError, match="model 'seed' forecasts cumulative JHU counts"):
        train(
            start=FIRST_DAY,
            end=TRAIN_END,
            source="covidhub",
            model="seed",
            tracking_uri=flow_env.tracking_uri,
        )
