"""Log models to MLflow and load a run's model back, serving with numpy and pandas only.

Every model is logged as MLflow model `"model"` holding `model.json` (`to_dict()` of a
`Forecaster` or of the seed's `SeedModel`; its `kind` says which) and an `MLmodel` file whose
`covid_forecast` flavour names the kind. Loading reads `model.json`, so the flow image needs
neither scikit-learn nor scipy nor skops. The seed model is also logged in MLflow's
scikit-learn flavour beside it (as before, with signature and input example), for people who
load it with `mlflow.sklearn`.

A model logged by an earlier version of this project has only the scikit-learn flavour: it
still loads where scikit-learn and skops are installed, and otherwise fails naming the fix.

A tracking URI is resolved with an explicit `MlflowClient`, never MLflow's process-wide
tracking URI, because MLflow 3.17's `runs:/` download ignores an explicit `tracking_uri` for
logged models.
"""

from __future__ import annotations

import importlib
import json
import logging
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

import mlflow
import numpy as np
import pandas as pd
import yaml
from mlflow.entities import LoggedModel, LoggedModelStatus
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from flow.forecasting import Forecaster, forecaster_from_dict
from flow.model_location import (
    MODEL_NAME,
    ModelCandidate,
    ModelNotFoundError,
    mlflow2_patterns,
    mlflow3_patterns,
    pick_model,
    read_mlmodel,
    redact_uri,
)
from flow.models.seed import SeedModel
from flow.storage import glob_match, list_files, read_bytes

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]
_log = logging.getLogger(__name__)

FLAVOR = "covid_forecast"
MODEL_FILE = "model.json"
FORMAT_VERSION = 1
# Pinned so that `log_model` does not spend seconds inferring them from the environment.
_SEED_REQUIREMENTS = ("scikit-learn", "skops", "numpy", "pandas")
_LEGACY_PACKAGES = ("sklearn", "skops")


class SeedPredictor(Protocol):
    """The seed's interface: log features in, log targets (n x 2) out."""

    kind: str

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Next-day log targets."""
        ...


LoadedModel = Forecaster | SeedModel | SeedPredictor


class LegacyModelError(RuntimeError):
    """A model logged by an earlier version cannot be loaded in this environment."""


def _from_tracking(
    run_id: str, tracking_uri: str, name: str, searched: list[str]
) -> tuple[str | None, str | None]:
    client = MlflowClient(tracking_uri=tracking_uri)
    shown = redact_uri(tracking_uri)
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        searched.append(f"tracking server {shown}: no run {run_id}")
        return None, None
    experiment_id = run.info.experiment_id
    models: list[LoggedModel] = []
    page_token: str | None = None
    while True:
        page = client.search_logged_models(
            experiment_ids=[experiment_id], filter_string=f"name = '{name}'", page_token=page_token
        )
        models.extend(model for model in page if model.source_run_id == run_id)
        page_token = page.token
        if not page_token:
            break
    if models:
        latest = max(models, key=lambda model: model.creation_timestamp or 0)
        return latest.artifact_location, f"logged model {latest.model_id} via {shown}"
    if client.list_artifacts(run_id, name):
        return f"{run.info.artifact_uri.rstrip('/')}/{name}", f"run artifacts via {shown}"
    searched.append(f"tracking server {shown}: run {run_id} has no model named {name!r}")
    return None, None


def _from_artifact_root(
    run_id: str, artifact_root: str, name: str, searched: list[str]
) -> str | None:
    # One listing serves both layouts' patterns: an artifact root holds every run's files.
    models = [uri for uri in list_files(artifact_root) if uri.endswith("/MLmodel")]
    for pattern in mlflow2_patterns(artifact_root, run_id, name):
        searched.append(f"{pattern} (MLflow 2 layout)")
        found = [uri for uri in models if glob_match(f"{pattern}/MLmodel", uri)]
        if found:
            return found[0].rsplit("/", 1)[0]
    candidates: list[ModelCandidate] = []
    for pattern in mlflow3_patterns(artifact_root):
        searched.append(f"{pattern} (MLflow 3 layout, run_id read from MLmodel)")
        for uri in models:
            if glob_match(f"{pattern}/MLmodel", uri):
                candidates.append(read_mlmodel(uri.rsplit("/", 1)[0], read_bytes(uri)))
    chosen = pick_model(candidates, run_id)
    return None if chosen is None else chosen.location


def resolve_model_uri(
    run_id: str,
    *,
    tracking_uri: str | None = None,
    artifact_root: str | None = None,
    name: str = MODEL_NAME,
    logger: Logger = _log,
) -> str:
    """The artifact URI of `run_id`'s model.

    Asks the tracking server first when `tracking_uri` is given, then searches `artifact_root`
    for both MLflow layouts. Raises `ModelNotFoundError` listing every place it looked.
    """
    searched: list[str] = []
    if tracking_uri:
        uri, how = _from_tracking(run_id, tracking_uri, name, searched)
        if uri:
            logger.info("Model of run %s: %s (%s)", run_id, uri, how)
            return uri
    if artifact_root:
        uri = _from_artifact_root(run_id, artifact_root, name, searched)
        if uri:
            logger.info("Model of run %s: %s (found in artifact root)", run_id, uri)
            return uri
    raise ModelNotFoundError(run_id, searched)


def load_model(
    run_id: str,
    *,
    tracking_uri: str | None = None,
    artifact_root: str | None = None,
    name: str = MODEL_NAME,
    logger: Logger = _log,
) -> LoadedModel:
    """Resolve (see `resolve_model_uri`), download and load `run_id`'s model.

    Returns a `Forecaster` (`kind` "baseline" or "default") or the seed's model (`kind`
    "seed", `predict(features) -> n x 2 log targets`); the kind comes from the logged model.
    """
    uri = resolve_model_uri(
        run_id, tracking_uri=tracking_uri, artifact_root=artifact_root, name=name, logger=logger
    )
    with tempfile.TemporaryDirectory(prefix="covid-model-") as scratch:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=scratch, tracking_uri=tracking_uri
        )
        model = read_model(Path(local), run_id)
    logger.info("Model of run %s is a %r model", run_id, model.kind)
    return model


def read_model(folder: Path, run_id: str = "?") -> LoadedModel:
    """The model in a downloaded MLflow model folder (`model.json`, or the legacy flavour)."""
    data = folder / MODEL_FILE
    if data.exists():
        return model_from_dict(json.loads(data.read_text()))
    return _legacy_seed_model(folder, run_id)


def model_from_dict(data: Mapping[str, Any]) -> Forecaster | SeedModel:
    """A model from its `to_dict()` form; `kind` picks the class."""
    if data.get("kind") == SeedModel.kind:
        return SeedModel.from_dict(dict(data))
    return forecaster_from_dict(dict(data))


class _LegacySeedModel:
    """A seed pipeline logged by an earlier version, served through MLflow's sklearn flavour."""

    kind = SeedModel.kind

    def __init__(self, pyfunc: Any) -> None:
        self._pyfunc = pyfunc

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Next-day log targets, as the pipeline predicts them."""
        return np.asarray(self._pyfunc.predict(features), dtype="float64")


def _importable(package: str) -> bool:
    try:
        importlib.import_module(package)
    except ImportError:
        return False
    return True


def _legacy_seed_model(folder: Path, run_id: str) -> SeedPredictor:
    mlmodel = folder / "MLmodel"
    meta = yaml.safe_load(mlmodel.read_text()) if mlmodel.exists() else None
    flavors = meta.get("flavors", {}) if isinstance(meta, dict) else {}
    if "sklearn" not in flavors:
        raise LegacyModelError(
            f"the model of run {run_id} has neither {MODEL_FILE} nor a scikit-learn flavour "
            f"(found {sorted(flavors) or 'no MLmodel'}): it was not logged by the train flow; "
            "re-run `train` and deploy the new run id"
        )
    missing = [name for name in _LEGACY_PACKAGES if not _importable(name)]
    if missing:
        raise LegacyModelError(
            f"the model of run {run_id} was logged by an earlier version as a scikit-learn "
            f"(skops) pipeline, and this environment serves models with numpy only (missing: "
            f"{', '.join(missing)}). Fix: re-run the `train` flow with model='seed' (the same "
            "pipeline, now logged as JSON) and set the deployment's run id to the new run"
        )
    return _LegacySeedModel(mlflow.pyfunc.load_model(str(folder)))


def log_model(
    model: Forecaster | SeedModel,
    *,
    experiment_name: str,
    tracking_uri: str | None = None,
    artifact_location: str | None = None,
    params: Mapping[str, str | int | float] | None = None,
    metrics: Mapping[str, float] | None = None,
    texts: Mapping[str, str] | None = None,
    sklearn_pipeline: Any = None,
    example: pd.DataFrame | None = None,
    logger: Logger = _log,
) -> str:
    """Log `model` as MLflow model `"model"` in a new run of `experiment_name`; returns the
    run id. `params` and `metrics` go on the run, `texts` (file name -> content) become run
    artifacts; a seed model's `sklearn_pipeline` is logged in the scikit-learn flavour too,
    with a signature and `example` input. `tracking_uri` (default: MLflow's own setting)
    applies to this call only.
    """
    # MLflow's logging API only reads the process-wide tracking URI: set it, then put it back.
    previous = mlflow.get_tracking_uri()
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    try:
        experiment_id = _experiment(experiment_name, artifact_location, logger)
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_params(dict(params or {}))
            if metrics:
                mlflow.log_metrics(dict(metrics))
            for file_name, content in (texts or {}).items():
                mlflow.log_text(content, file_name)
            run_id = str(run.info.run_id)
            if sklearn_pipeline is not None:
                _log_with_sklearn(model, sklearn_pipeline, example)
            else:
                _log_json_model(model, experiment_id, run_id)
        return run_id
    finally:
        mlflow.set_tracking_uri(previous)


def _experiment(name: str, artifact_location: str | None, logger: Logger) -> str:
    client = MlflowClient()
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return str(client.create_experiment(name, artifact_location=artifact_location))
    if artifact_location and experiment.artifact_location.rstrip("/") != (
        artifact_location.rstrip("/")
    ):
        logger.warning(
            "Experiment %r already stores artifacts at %s, not %s; using it as it is",
            name,
            experiment.artifact_location,
            artifact_location,
        )
    return str(experiment.experiment_id)


def _mlmodel(model: Forecaster | SeedModel, run_id: str, model_id: str | None) -> str:
    meta: dict[str, Any] = {
        "artifact_path": MODEL_NAME,
        "flavors": {
            FLAVOR: {"kind": model.kind, "data": MODEL_FILE, "format_version": FORMAT_VERSION}
        },
        "run_id": run_id,
        "utc_time_created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
    }
    if model_id:
        meta["model_id"] = model_id
    return yaml.safe_dump(meta, sort_keys=False)


def _log_json_model(model: Forecaster | SeedModel, experiment_id: str, run_id: str) -> None:
    client = MlflowClient()
    logged = mlflow.initialize_logged_model(
        name=MODEL_NAME,
        source_run_id=run_id,
        experiment_id=experiment_id,
        model_type=model.kind,
        tags={"kind": model.kind},
    )
    with tempfile.TemporaryDirectory(prefix="covid-model-") as scratch:
        folder = Path(scratch)
        (folder / MODEL_FILE).write_text(json.dumps(model.to_dict()))
        (folder / "MLmodel").write_text(_mlmodel(model, run_id, logged.model_id))
        client.log_model_artifacts(logged.model_id, str(folder))
    mlflow.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)


def _log_with_sklearn(
    model: Forecaster | SeedModel, pipeline: Any, example: pd.DataFrame | None
) -> None:
    from mlflow.models import infer_signature

    signature = None if example is None else infer_signature(example, pipeline.predict(example))
    info = mlflow.sklearn.log_model(
        pipeline,
        name=MODEL_NAME,
        signature=signature,
        input_example=example,
        pip_requirements=[f"{package}=={version(package)}" for package in _SEED_REQUIREMENTS],
    )
    # The JSON the flow image serves, beside the scikit-learn files, and the kind in MLmodel.
    client = MlflowClient()
    with tempfile.TemporaryDirectory(prefix="covid-model-") as scratch:
        folder = Path(scratch)
        (folder / MODEL_FILE).write_text(json.dumps(model.to_dict()))
        location = client.get_logged_model(info.model_id).artifact_location
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"{location.rstrip('/')}/MLmodel", dst_path=str(folder / "original")
        )
        meta = yaml.safe_load(Path(local).read_text())
        meta["flavors"][FLAVOR] = {
            "kind": model.kind,
            "data": MODEL_FILE,
            "format_version": FORMAT_VERSION,
        }
        (folder / "MLmodel").write_text(yaml.safe_dump(meta, sort_keys=False))
        client.log_model_artifact(info.model_id, str(folder / MODEL_FILE))
        client.log_model_artifact(info.model_id, str(folder / "MLmodel"))
