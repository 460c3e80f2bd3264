"""Models logged to real MLflow (sqlite tracking, local artifacts) and loaded back by run id.

Integration: MLflow's first database migration and the scikit-learn flavour take seconds.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest

from flow.features import FEATURES, training_table
from flow.forecasting import train_forecaster
from flow.model_store import (
    LegacyModelError,
    load_model,
    log_model,
    read_model,
    resolve_model_uri,
)
from flow.models.seed import SeedModel
from flow.reports import read_regions
from flow.sample import sample_reports
from flow.training import fit_model, seed_model

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
EXPERIMENT = "model-store-tests"
# Makes scikit-learn, scipy and skops unimportable, as in the flow image.
BLOCK = textwrap.dedent(
    """
    import importlib.abc, sys
    class Absent(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {"sklearn", "scipy", "skops"}:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None
    sys.meta_path.insert(0, Absent())
    """
)


@dataclass(frozen=True)
class Store:
    tracking_uri: str
    artifact_root: str


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("mlflow")
    return Store(f"sqlite:///{root / 'mlflow.db'}", (root / "artifacts").as_uri())


def weekly_series() -> pd.DataFrame:
    weeks = pd.date_range(end="2026-03-28", periods=30, freq="7D")
    rng = np.random.default_rng(4)
    return pd.concat(
        [
            pd.DataFrame(
                {"location": code, "date": weeks, "value": rng.poisson(size, 30).astype(float)}
            )
            for code, size in (("06", 400), ("36", 250), ("US", 5000))
        ],
        ignore_index=True,
    )


def seed_training() -> tuple[pd.DataFrame, Any]:
    reports = {
        day: read_regions(text.encode())
        for day, text in sample_reports(date(2021, 1, 1), date(2021, 1, 31)).items()
    }
    table = training_table(reports)
    return table, fit_model(table).pipeline


def log(store: Store, model: Any, **kwargs: Any) -> str:
    return log_model(
        model,
        experiment_name=EXPERIMENT,
        tracking_uri=store.tracking_uri,
        artifact_location=f"{store.artifact_root}/{EXPERIMENT}",
        **kwargs,
    )


@pytest.mark.parametrize("kind", ["default", "baseline"])
def test_a_quantile_model_loads_by_run_id_and_forecasts_the_same(store: Store, kind: str) -> None:
    series = weekly_series()
    forecaster = train_forecaster(series, kind)
    run_id = log(
        store,
        forecaster,
        params={"model": kind},
        metrics={"wis_all": 1.5},
        texts={"backtest.csv": "a,b\n1,2\n"},
    )
    routes: list[dict[str, Any]] = [
        {"tracking_uri": store.tracking_uri},
        {"artifact_root": store.artifact_root},
    ]
    for route in routes:
        loaded: Any = load_model(run_id, **route)
        assert loaded.kind == kind
        pd.testing.assert_frame_equal(
            loaded.predict(series, "2026-04-04", (0, 1, 2, 3)),
            forecaster.predict(series, "2026-04-04", (0, 1, 2, 3)),
        )
    client = mlflow.MlflowClient(store.tracking_uri)
    run = client.get_run(run_id)
    assert run.data.params["model"] == kind
    assert run.data.metrics["wis_all"] == 1.5
    assert "backtest.csv" in [item.path for item in client.list_artifacts(run_id)]


def test_the_numpy_seed_equals_the_scikit_learn_pipeline_and_serves_without_it(
    store: Store, tmp_path: Path
) -> None:
    table, pipeline = seed_training()
    served = seed_model(pipeline)
    features = table[list(FEATURES)]
    expected = pipeline.predict(features)
    np.testing.assert_allclose(served.predict(features), expected, rtol=0, atol=1e-12)
    run_id = log(store, served, sklearn_pipeline=pipeline, example=features.head(5))
    loaded = load_model(run_id, tracking_uri=store.tracking_uri)
    assert isinstance(loaded, SeedModel)
    np.testing.assert_allclose(loaded.predict(features), expected, rtol=0, atol=1e-12)
    # The scikit-learn flavour is still there for mlflow.sklearn users, beside the JSON.
    uri = resolve_model_uri(run_id, tracking_uri=store.tracking_uri)
    folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path)))
    names = {path.name for path in folder.iterdir()}
    assert {"model.json", "model.skops", "MLmodel", "input_example.json"} <= names
    mlmodel = (folder / "MLmodel").read_text()
    assert "covid_forecast:" in mlmodel
    assert "sklearn:" in mlmodel
    assert "kind: seed" in mlmodel


def legacy_run(store: Store) -> tuple[str, pd.DataFrame, Any]:
    """A seed model logged the way the previous version did: mlflow.sklearn only."""
    table, pipeline = seed_training()
    client = mlflow.MlflowClient(store.tracking_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = (
        experiment.experiment_id
        if experiment
        else client.create_experiment(EXPERIMENT, f"{store.artifact_root}/{EXPERIMENT}")
    )
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(store.tracking_uri)
    try:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.sklearn.log_model(pipeline, name="model", pip_requirements=["scikit-learn"])
    finally:
        mlflow.set_tracking_uri(previous)
    return run.info.run_id, table[list(FEATURES)], pipeline


def test_a_model_logged_by_the_previous_version_loads_where_scikit_learn_is_installed(
    store: Store,
) -> None:
    run_id, features, pipeline = legacy_run(store)
    loaded: Any = load_model(run_id, tracking_uri=store.tracking_uri)
    assert loaded.kind == "seed"
    np.testing.assert_allclose(loaded.predict(features), pipeline.predict(features))


def run_without_scikit_learn(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_without_scikit_learn_new_models_serve_and_old_ones_fail_naming_the_fix(
    store: Store,
) -> None:
    run_id = log(store, train_forecaster(weekly_series(), "default"))
    table, pipeline = seed_training()
    seed_run = log(
        store,
        seed_model(pipeline),
        sklearn_pipeline=pipeline,
        example=table[list(FEATURES)].head(2),
    )
    legacy, _, _ = legacy_run(store)
    result = run_without_scikit_learn(
        f"""
        import sys
        import flow.flows, flow.forecasting
        from flow.model_store import LegacyModelError, load_model
        model = load_model({run_id!r}, tracking_uri={store.tracking_uri!r})
        seed = load_model({seed_run!r}, tracking_uri={store.tracking_uri!r})
        print(model.kind, seed.kind)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy", "skops")))
        try:
            load_model({legacy!r}, tracking_uri={store.tracking_uri!r})
        except LegacyModelError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    kinds, imported, message = result.stdout.splitlines()
    assert (kinds, imported) == ("default seed", "[]")
    assert f"the model of run {legacy} was logged by an earlier version" in message
    assert "re-run the `train` flow with model='seed'" in message
    assert "sklearn, skops" in message


def test_a_folder_without_a_known_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors:\n  python_function: {}\n")
    with pytest.raises(LegacyModelError, match=r"neither model\.json nor a scikit-learn flavour"):
        read_model(tmp_path, "0" * 32)
