"""Where a run's MLflow model can be: run id checks, artifact layouts, the not-found error.

MLflow 2 stored a run's model under `<experiment artifact root>/<run_id>/artifacts/<name>`;
MLflow 3 stores it as a logged model under `<experiment artifact root>/models/m-<id>/artifacts`
and records the run only inside its `MLmodel` file. An artifact root may be the server-wide
root (one folder per experiment id) or one experiment's own location, hence two depths each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

MODEL_NAME = "model"
_RUN_ID = re.compile(r"[0-9a-f]{32}")

MLFLOW2_LAYOUTS = ("{run_id}/artifacts/{name}", "*/{run_id}/artifacts/{name}")
MLFLOW3_LAYOUTS = ("models/m-*/artifacts", "*/models/m-*/artifacts")


def validate_run_id(run_id: str) -> str:
    """`run_id` if it is an MLflow run id (32 lowercase hex characters); else a ValueError."""
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(
            f"run_id {run_id!r} is not an MLflow run id: expected 32 lowercase hexadecimal "
            "characters, as shown in the MLflow UI or returned by the train flow"
        )
    return run_id


def redact_uri(uri: str) -> str:
    """`uri` without any user:password part, safe for logs and error messages."""
    parts = urlsplit(uri)
    if parts.password is None and parts.username is None:
        return uri
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def mlflow2_patterns(root: str, run_id: str, name: str = MODEL_NAME) -> list[str]:
    """Folders that hold `run_id`'s model `name` in the MLflow 2 layout (glob patterns)."""
    base = root.rstrip("/")
    return [f"{base}/{layout.format(run_id=run_id, name=name)}" for layout in MLFLOW2_LAYOUTS]


def mlflow3_patterns(root: str) -> list[str]:
    """Folders that hold MLflow 3 logged models (glob patterns); their MLmodel names the run."""
    base = root.rstrip("/")
    return [f"{base}/{layout}" for layout in MLFLOW3_LAYOUTS]


@dataclass(frozen=True)
class ModelCandidate:
    """A model folder found in an artifact root, with what its MLmodel file says."""

    location: str
    run_id: str | None
    created: str


def read_mlmodel(location: str, text: str | bytes) -> ModelCandidate:
    """The run id and creation time recorded in an `MLmodel` file."""
    meta: Any = yaml.safe_load(text) or {}
    if not isinstance(meta, dict):
        meta = {}
    run_id = meta.get("run_id")
    return ModelCandidate(
        location=location,
        run_id=str(run_id) if run_id else None,
        created=str(meta.get("utc_time_created") or ""),
    )


def pick_model(candidates: Iterable[ModelCandidate], run_id: str) -> ModelCandidate | None:
    """The most recently created candidate logged by `run_id`, if any."""
    mine = [candidate for candidate in candidates if candidate.run_id == run_id]
    return max(mine, key=lambda candidate: candidate.created) if mine else None


class ModelNotFoundError(LookupError):
    """No model for the run id in any of the places searched."""

    def __init__(self, run_id: str, searched: Sequence[str]) -> None:
        self.run_id = run_id
        self.searched = list(searched)
        places = "\n".join(f"  - {place}" for place in self.searched) or "  (nowhere)"
        hint = (
            ""
            if self.searched
            else " Pass tracking_uri (MLflow tracking server) and/or artifact_root."
        )
        super().__init__(
            f"No MLflow model found for run_id {run_id!r}.{hint} Looked in:\n{places}\n"
            "Check the run id and that tracking_uri / artifact_root point at the store the "
            "model was logged to."
        )
