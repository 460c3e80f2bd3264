"""Real deployments executed the way an ECS task of the flow image executes them.

The flow image's environment is `.venv-flow` (`make flow-env`: requirements-flow.txt alone, as
the Dockerfile's `flow` target installs it: prefect-client, no prefect-aws, no scikit-learn).
Each test creates a deployment of `covid-prediction` on the session's Prefect server and one
flow run of it, then starts the pool's command (`python -m flow.engine`, which runs
`python -m prefect.engine` for `PREFECT__FLOW_RUN_ID`) with that environment's interpreter from
the repository root, as the container does from /opt/prefect/covid-forecast. Data, model and
results live on moto's S3; the model is the one the session's `train` run logged.
"""

from __future__ import annotations

import io
import os
import subprocess
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect_aws import S3Bucket

from flow.results import forecast_key
from infra.specs import (
    FLOW_RUN_COMMAND,
    PREDICTION_ENTRYPOINT,
    PREDICTION_FLOW,
    SET_WORKING_DIRECTORY,
)
from tests.integration.flow.flow_env import RESULTS_BUCKET, FlowEnv

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
FLOW_PYTHON = ROOT / ".venv-flow" / "bin" / "python"
AS_OF = date(2021, 2, 10)
# What the flow image must never carry (issue: lean image).
NOT_IN_FLOW_IMAGE = {"prefect", "prefect-aws", "scikit-learn", "scipy", "skops", "sqlalchemy"}
NOT_IN_FLOW_IMAGE |= {"alembic", "mlflow"}


@dataclass(frozen=True)
class EngineRun:
    """One flow run executed in the flow image's environment."""

    flow_run_id: uuid.UUID
    returncode: int
    state: StateType
    output: str


@pytest.fixture(scope="module")
def flow_python() -> Path:
    """The flow image environment's interpreter; the test fails (never skips) without it."""
    if not FLOW_PYTHON.exists():
        pytest.fail(
            f"{FLOW_PYTHON} is missing: run `make flow-env` (`make test` does) to create the"
            " flow image's environment from requirements-flow.txt"
        )
    return FLOW_PYTHON


def installed(python: Path) -> dict[str, str]:
    """name -> version of every distribution in an environment (`pip list`)."""
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return dict(line.lower().replace("_", "-").split("==") for line in listed)


def run_deployment_in_flow_env(
    python: Path, parameters: dict[str, Any], command: str = FLOW_RUN_COMMAND
) -> EngineRun:
    """Deploy `covid-prediction` with `parameters`, create one run, execute it as the task does:
    `command` (the pool's, by default) with the flow environment's interpreter as `python`."""
    program, *arguments = command.split()
    assert program == "python", command
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name(PREDICTION_FLOW)
        deployment_id = client.create_deployment(
            flow_id=flow_id,
            name=f"flow-image-{uuid.uuid4().hex[:8]}",
            entrypoint=PREDICTION_ENTRYPOINT,
            parameters=parameters,
            pull_steps=[{SET_WORKING_DIRECTORY: {"directory": str(ROOT)}}],
        )
        flow_run = client.create_flow_run_from_deployment(deployment_id)
    done = subprocess.run(
        [str(python), *arguments],
        cwd=ROOT,
        env={**os.environ, "PREFECT__FLOW_RUN_ID": str(flow_run.id)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run.id).state
    assert state is not None
    return EngineRun(flow_run.id, done.returncode, state.type, done.stdout + done.stderr)


def forecast_parameters(env: FlowEnv, **results: str) -> dict[str, Any]:
    """The stack's parameters on an ECS pool: the model is found by its artifact root (the
    flow image's MLflow client has no SQL tracking store)."""
    return {
        "prov_st": "Madrid",
        "country": "Spain",
        "run_id": env.run_id,
        "as_of": AS_OF.isoformat(),
        "artifact_root": env.artifact_root,
        "data_url": env.s3_data_url,
        **results,
    }


def forecast_at(env: FlowEnv, key: str) -> pd.DataFrame:
    body = env.s3.get_object(Bucket=RESULTS_BUCKET, Key=key)["Body"].read()
    return pd.read_csv(io.BytesIO(body))


def test_the_flow_env_is_the_lean_pinned_set(flow_python: Path) -> None:
    packages = installed(flow_python)
    assert not NOT_IN_FLOW_IMAGE & set(packages), NOT_IN_FLOW_IMAGE & set(packages)
    pins = dict(
        line.lower().split("==")
        for line in (ROOT / "requirements-flow.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert {name: packages.get(name) for name in pins} == pins
    check = subprocess.run([str(flow_python), "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_importing_the_flows_loads_no_data_model_or_mlflow_library(flow_python: Path) -> None:
    # Every flow run pays `import flow.flows` before it is marked Running (docs/benchmarks.md,
    # Footprint): pandas and numpy come with the body of the flow being run, MLflow with the
    # task that loads the model, training libraries never.
    probe = "import sys, flow.flows; print(' '.join(sorted(set(sys.modules) & set(sys.argv[1:]))))"
    heavy = ["pandas", "numpy", "mlflow", "sklearn", "scipy", "skops", "sqlalchemy", "alembic"]
    heavy += ["prefect_aws", "flow.runs.prediction", "flow.runs.monitor", "flow.runs.train"]
    done = subprocess.run(
        [str(flow_python), "-c", probe, *heavy], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == []


def test_forecast_through_an_s3_bucket_block_completes_in_the_flow_image_env(
    flow_env: FlowEnv, flow_python: Path
) -> None:
    # The stack's block: bucket and folder, no credentials (the task role's, here moto's env).
    block = f"flow-image-{uuid.uuid4().hex[:8]}"
    S3Bucket(bucket_name=RESULTS_BUCKET, bucket_folder="image-block").save(block)
    run = run_deployment_in_flow_env(
        flow_python, forecast_parameters(flow_env, results_block=f"s3-bucket/{block}")
    )
    assert (run.returncode, run.state) == (0, StateType.COMPLETED), run.output[-4000:]
    table = forecast_at(flow_env, f"image-block/{forecast_key('Madrid', AS_OF, flow_env.run_id)}")
    assert (table["model_version"] == flow_env.run_id).all()
    assert "UnknownBlockType" not in run.output


def test_forecast_to_an_s3_results_uri_completes_in_the_flow_image_env(
    flow_env: FlowEnv, flow_python: Path
) -> None:
    results_uri = f"s3://{RESULTS_BUCKET}/image-uri"
    run = run_deployment_in_flow_env(
        flow_python, forecast_parameters(flow_env, results_uri=results_uri)
    )
    assert (run.returncode, run.state) == (0, StateType.COMPLETED), run.output[-4000:]
    table = forecast_at(flow_env, f"image-uri/{forecast_key('Madrid', AS_OF, flow_env.run_id)}")
    assert (table["model_version"] == flow_env.run_id).all()


def test_a_result_that_cannot_be_written_fails_the_run_and_the_container(
    flow_env: FlowEnv, flow_python: Path
) -> None:
    # A bucket nobody created: everything else works, only the write fails.
    parameters = forecast_parameters(flow_env, results_uri="s3://flow-it-no-such-bucket/x")
    run = run_deployment_in_flow_env(flow_python, parameters)
    assert run.state == StateType.FAILED
    assert run.returncode == 1, run.output[-4000:]
    assert "NoSuchBucket" in run.output
    # Prefect's engine alone reports the same Failed run with exit code 0: why the command
    # is flow.engine. Should Prefect change that, flow.engine becomes unnecessary.
    plain = run_deployment_in_flow_env(flow_python, parameters, "python -m prefect.engine")
    assert (plain.state, plain.returncode) == (StateType.FAILED, 0)
