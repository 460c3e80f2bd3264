"""Load a run's MLflow pyfunc model (tracking server or artifact root search) and log new ones.

Loading needs only `mlflow-skinny` + `skops` (the flow image's packages). A tracking URI is
resolved with an explicit `MlflowClient`, never MLflow's process-wide tracking URI, because
MLflow 3.17's `runs:/` download ignores an explicit `tracking_uri` for logged models.
"""

from __future__ import annotations

import logging
import tempfile
from importlib.metadata import version

import fsspec
import mlflow
import pandas as pd
from mlflow.entities import LoggedModel
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.pyfunc import PyFuncModel
from mlflow.tracking import MlflowClient

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
from flow.training import FittedModel

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]
_log = logging.getLogger(__name__)

# Pinned so that `log_model` does not spend seconds inferring them from the environment.
_MODEL_REQUIREMENTS = ("scikit-learn", "skops", "numpy", "pandas")


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
    fs, base = fsspec.core.url_to_fs(artifact_root)
    # fsspec keeps one filesystem per process with cached listings; models may be new since.
    fs.invalidate_cache()
    for shown, pattern in zip(
        mlflow2_patterns(artifact_root, run_id, name),
        mlflow2_patterns(base, run_id, name),
        strict=True,
    ):
        searched.append(f"{shown} (MLflow 2 layout)")
        found = sorted(fs.glob(f"{pattern}/MLmodel"))
        if found:
            return str(fs.unstrip_protocol(found[0].rsplit("/", 1)[0]))
    candidates: list[ModelCandidate] = []
    for shown, pattern in zip(mlflow3_patterns(artifact_root), mlflow3_patterns(base), strict=True):
        searched.append(f"{shown} (MLflow 3 layout, run_id read from MLmodel)")
        for path in fs.glob(f"{pattern}/MLmodel"):
            folder = path.rsplit("/", 1)[0]
            candidates.append(read_mlmodel(folder, fs.cat_file(path)))
    chosen = pick_model(candidates, run_id)
    return None if chosen is None else str(fs.unstrip_protocol(chosen.location))


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
) -> PyFuncModel:
    """Resolve (see `resolve_model_uri`), download and load `run_id`'s pyfunc model."""
    uri = resolve_model_uri(
        run_id, tracking_uri=tracking_uri, artifact_root=artifact_root, name=name, logger=logger
    )
    # The scikit-learn flavour reads the whole model into memory, so the copy can go at once.
    with tempfile.TemporaryDirectory(prefix="covid-model-") as scratch:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=scratch, tracking_uri=tracking_uri
        )
        return mlflow.pyfunc.load_model(local)


def log_model(
    fitted: FittedModel,
    example: pd.DataFrame,
    *,
    experiment_name: str,
    tracking_uri: str | None = None,
    artifact_location: str | None = None,
    params: dict[str, str | int | float] | None = None,
    logger: Logger = _log,
) -> str:
    """Log `fitted` as model `"model"` with a signature and input example; returns the run id.

    `tracking_uri` (default: MLflow's own setting) applies to this call only.
    """
    # MLflow's logging API only reads the process-wide tracking URI: set it, then put it back.
    previous = mlflow.get_tracking_uri()
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    try:
        return _log_run(fitted, example, experiment_name, artifact_location, params or {}, logger)
    finally:
        mlflow.set_tracking_uri(previous)


def _log_run(
    fitted: FittedModel,
    example: pd.DataFrame,
    experiment_name: str,
    artifact_location: str | None,
    params: dict[str, str | int | float],
    logger: Logger,
) -> str:
    client = MlflowClient()
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        experiment_id = client.create_experiment(
            experiment_name, artifact_location=artifact_location
        )
    else:
        experiment_id = experiment.experiment_id
        if artifact_location and experiment.artifact_location.rstrip("/") != (
            artifact_location.rstrip("/")
        ):
            logger.warning(
                "Experiment %r already stores artifacts at %s, not %s; using it as it is",
                experiment_name,
                experiment.artifact_location,
                artifact_location,
            )
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params(params)
        mlflow.log_metrics(
            {"train_rmse": fitted.train_rmse, "rows": fitted.rows, "regions": fitted.regions}
        )
        mlflow.sklearn.log_model(
            fitted.pipeline,
            name=MODEL_NAME,
            signature=infer_signature(example, fitted.pipeline.predict(example)),
            input_example=example,
            pip_requirements=[f"{package}=={version(package)}" for package in _MODEL_REQUIREMENTS],
        )
    return str(run.info.run_id)
