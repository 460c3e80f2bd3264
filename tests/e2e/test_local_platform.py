"""The local platform end to end: apply -> scheduled deployment -> a real worker runs it ->
the forecast CSV lands in (moto) S3 -> destroy removes every Prefect object. Once for a JHU
stack with the seed model, once for a weekly covidhub stack (hub CSV and fan chart).

Real Prefect server, real process worker, real MLflow, moto S3 in server mode.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.local import apply_stack, destroy_resources
from tests.servers import MotoS3, PrefectServer, start_process_worker, stop_process

pytestmark = pytest.mark.e2e

BUCKET = "covid-e2e-results"
AS_OF = date(2021, 2, 14)


@pytest.fixture(scope="module")
def stack_overrides(
    tmp_path_factory: pytest.TempPathFactory, moto_s3: MotoS3, prefect_server: PrefectServer
) -> dict[str, str]:
    """Sample data + a model trained into a real MLflow store; results go to moto S3."""
    from flow.flows import train
    from flow.sample import write_sample_reports

    root = tmp_path_factory.mktemp("e2e")
    write_sample_reports(root / "jhu", AS_OF - timedelta(days=40), AS_OF)
    data_url = str(root / "jhu" / "{date:%m-%d-%Y}.csv")
    tracking = f"sqlite:///{root / 'mlflow.db'}"
    artifacts = root / "artifacts"
    run_id = train(
        start=AS_OF - timedelta(days=40),
        end=AS_OF - timedelta(days=1),
        data_url=data_url,
        model="seed",
        tracking_uri=tracking,
        artifact_location=artifacts.as_uri(),
    )
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return {
        "runId": str(run_id),
        "dataUrl": data_url,
        "mlflowTrackingUri": tracking,
        "modelArtifactsUri": str(artifacts),
        "resultsUri": f"s3://{BUCKET}/forecasts",
        "scheduleCron": "30 5 * * 1-5",
        "scheduleTimezone": "Europe/Madrid",
    }


@contextlib.contextmanager
def process_worker(pool: str, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real process worker polling `pool`, stopped by PID on exit."""
    proc = start_process_worker(pool, dict(os.environ), log_path)
    try:
        yield proc
    finally:
        stop_process(proc)
    assert proc.poll() is not None, "the worker must not outlive its block"


def _wait_final(flow_run_id: Any, timeout_s: float = 180) -> Any:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(flow_run_id)
            if run.state and run.state.is_final():
                return run
            time.sleep(1)
    raise TimeoutError(f"flow run {flow_run_id} did not finish in {timeout_s}s")


def test_apply_run_and_destroy_the_local_stack(
    stack_overrides: dict[str, str], tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    state_path = tmp_path / "state.json"
    lines: list[str] = []
    state = apply_stack("dev", stack_overrides, state_path, log=lines.append)
    # Pool, results block, deployment, and the stack's automations: each created once.
    assert [line.split(":")[1].strip() for line in lines] == ["created"] * len(state)
    assert len(state) >= 3

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("covid-prediction/madrid")
        [schedule] = deployment.schedules
        assert schedule.schedule.cron == "30 5 * * 1-5"
        assert schedule.schedule.timezone == "Europe/Madrid"
        assert deployment.parameters["run_id"] == stack_overrides["runId"]

    # A second apply with nothing changed is a no-op.
    lines.clear()
    apply_stack("dev", stack_overrides, state_path, log=lines.append)
    assert all(line.endswith("unchanged") for line in lines), lines

    # A running worker re-creates a deleted pool: stop it before destroy.
    with process_worker("covid-forecast-dev", tmp_path / "worker.log"):
        flow_run = run_deployment(
            name="covid-prediction/madrid", parameters={"as_of": AS_OF.isoformat()}, timeout=0
        )
        final = _wait_final(flow_run.id)
    assert final.state.is_completed(), (tmp_path / "worker.log").read_text()[-3000:]

    key = f"forecasts/madrid/{AS_OF:%Y-%m-%d}/{stack_overrides['runId']}.csv"
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row["Province_State"] == "Madrid"
    assert row["model_version"] == stack_overrides["runId"]
    assert float(row["pred_out_ConfirmedCases"]) > 0
    assert {"Date", "pred_out_Fatalities"} <= set(row)

    destroy_resources(state_path, log=lines.append)
    with get_client(sync_client=True) as client:
        for read in (
            lambda: client.read_deployment(state["covid-forecast-dev-covid-prediction"]["id"]),
            lambda: client.read_work_pool("covid-forecast-dev"),
            lambda: client.read_block_document_by_name(
                "covid-forecast-dev-results", block_type_slug="s3-bucket"
            ),
        ):
            with pytest.raises(ObjectNotFound):
                read()


HUB_WEEK = date(2026, 3, 28)  # the latest complete week of the generated sample
HUB_RUN_DAY = date(2026, 4, 1)  # the Wednesday after: reference date 2026-04-04


def test_a_weekly_covidhub_stack_writes_a_hub_submission_and_its_chart(
    tmp_path_factory: pytest.TempPathFactory,
    moto_s3: MotoS3,
    prefect_server: PrefectServer,
    tmp_path: Path,
) -> None:
    """apply (dev switched to covidhub, every location) -> scheduled weekly deployment -> a real
    worker run -> a hub model-output CSV the hub's rules accept + the fan chart in S3 ->
    destroy."""
    import xml.etree.ElementTree as ET

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    from flow.flows import train
    from flow.hub_output import validate_hub_csv
    from flow.locations import HUB_CODES
    from flow.sample_hub import write_sample_hub

    root = tmp_path_factory.mktemp("e2e-hub")
    data = write_sample_hub(root / "covid-hospital-admissions.csv", HUB_WEEK)
    tracking = f"sqlite:///{root / 'mlflow.db'}"
    artifacts = root / "artifacts"
    run_id = str(
        train(
            start=HUB_WEEK - timedelta(weeks=60),
            end=HUB_WEEK,
            data_url=str(data),
            source="covidhub",
            model="default",
            tracking_uri=tracking,
            artifact_location=artifacts.as_uri(),
            backtest_origins=4,
        )
    )
    bucket = "covid-e2e-hub"
    boto3.client("s3").create_bucket(Bucket=bucket)
    overrides = {
        "dataSource": "covidhub",
        "city": "all",
        "country": "",
        "dataUrl": str(data),
        "runId": run_id,
        "mlflowTrackingUri": tracking,
        "modelArtifactsUri": str(artifacts),
        "resultsUri": f"s3://{bucket}/hub",
        "scheduleCron": "0 18 * * 3",
        "scheduleTimezone": "America/New_York",
    }
    state_path = tmp_path / "state.json"
    state = apply_stack("dev", overrides, state_path, log=lambda line: None)
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("covid-prediction/all")
        [schedule] = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == (
            "0 18 * * 3",
            "America/New_York",
        )
        assert deployment.parameters["source"] == "covidhub"
        assert deployment.parameters["prov_st"] == "all"

    with process_worker("covid-forecast-dev", tmp_path / "worker.log"):
        flow_run = run_deployment(
            name="covid-prediction/all",
            parameters={"as_of": HUB_RUN_DAY.isoformat()},
            timeout=0,
        )
        final = _wait_final(flow_run.id)
    assert final.state.is_completed(), (tmp_path / "worker.log").read_text()[-3000:]

    s3 = boto3.client("s3")
    key = f"hub/all/2026-04-04/{run_id}"
    body = s3.get_object(Bucket=bucket, Key=f"{key}.csv")["Body"].read()
    assert validate_hub_csv(body, reference=date(2026, 4, 4), locations=HUB_CODES) == []
    assert len(body.decode().splitlines()) == 1 + 53 * 5 * 23
    chart = s3.get_object(Bucket=bucket, Key=f"{key}.svg")["Body"].read()
    svg = ET.fromstring(chart)  # noqa: S314 (the flow's own output)
    panels = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "panel"]
    assert panels[0].get("data-location") == "US"  # the largest location comes first
    assert len(panels) == 6

    destroy_resources(state_path, log=lambda line: None)
    with get_client(sync_client=True) as client:
        with pytest.raises(ObjectNotFound):
            client.read_deployment(state["covid-forecast-dev-covid-prediction"]["id"])
        with pytest.raises(ObjectNotFound):
            client.read_work_pool("covid-forecast-dev")
