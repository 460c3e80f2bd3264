"""Run ids, model layouts and the not-found message (no MLflow needed)."""

from __future__ import annotations

import pytest

from flow.model_location import (
    ModelCandidate,
    ModelNotFoundError,
    mlflow2_patterns,
    mlflow3_patterns,
    pick_model,
    read_mlmodel,
    redact_uri,
    validate_run_id,
)

RUN = "d8585ec935b0425a8d9cdb3ae815c9c0"
MLMODEL = f"""
artifact_path: s3://mlflow/artifacts/1/models/m-7589/artifacts
model_id: m-7589
run_id: {RUN}
utc_time_created: '2026-11-25 22:07:59.731025'
"""


def test_run_id_must_be_32_lowercase_hex() -> None:
    assert validate_run_id(RUN) == RUN
    for bad in ("latest", RUN.upper(), RUN[:-1], f"../{RUN[3:]}"):
        with pytest.raises(ValueError, match="not an MLflow run id: expected 32 lowercase"):
            validate_run_id(bad)


def test_mlflow2_layout_with_and_without_an_experiment_folder() -> None:
    assert mlflow2_patterns("s3://b/artifacts/", RUN) == [
        f"s3://b/artifacts/{RUN}/artifacts/model",
        f"s3://b/artifacts/*/{RUN}/artifacts/model",
    ]


def test_mlflow3_layout_with_and_without_an_experiment_folder() -> None:
    assert mlflow3_patterns("/srv/mlflow") == [
        "/srv/mlflow/models/m-*/artifacts",
        "/srv/mlflow/*/models/m-*/artifacts",
    ]


def test_mlmodel_names_the_run_and_creation_time() -> None:
    candidate = read_mlmodel("s3://b/1/models/m-7589/artifacts", MLMODEL)
    assert candidate == ModelCandidate(
        "s3://b/1/models/m-7589/artifacts", RUN, "2026-11-25 22:07:59.731025"
    )
    assert read_mlmodel("x", "").run_id is None


def test_pick_model_takes_the_latest_model_of_the_run() -> None:
    other = ModelCandidate("a", "f" * 32, "2030-01-01")
    old = ModelCandidate("b", RUN, "2026-01-01 00:00:00")
    new = ModelCandidate("c", RUN, "2026-06-01 00:00:00")
    assert pick_model([other, new, old], RUN) == new
    assert pick_model([other], RUN) is None


def test_not_found_lists_every_place_searched() -> None:
    error = ModelNotFoundError(RUN, ["tracking server http://mlflow:5000: no run", "s3://b/a/x"])
    message = str(error)
    assert RUN in message
    assert "  - tracking server http://mlflow:5000: no run\n  - s3://b/a/x\n" in message


def test_not_found_without_any_source_says_what_to_pass() -> None:
    assert "Pass tracking_uri" in str(ModelNotFoundError(RUN, []))


def test_credentials_never_appear_in_a_shown_uri() -> None:
    assert redact_uri("https://user:s3cr3t@mlflow.example.com:8443/x") == (
        "https://***@mlflow.example.com:8443/x"
    )
    assert redact_uri("sqlite:///tmp/mlflow.db") == "sqlite:///tmp/mlflow.db"
