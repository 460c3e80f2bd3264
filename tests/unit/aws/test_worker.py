"""The worker container: the stack's worker image, pool command, health probe, secrets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from infra.aws.worker import (
    HEALTH_PORT,
    PUBLIC_WORKER_IMAGE,
    health_check,
    worker_container_definition,
)
from tests.pulumi_harness import ProgramRun, run_program

ROOT = Path(__file__).resolve().parents[3]
KEY_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/covid-forecast/madrid/prefect-api-key"
URL_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/covid-forecast/madrid/prefect-api-url"
WORKER_DIGEST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/covid-forecast-madrid@sha256:" + (
    "ef" * 32
)
FLOW_IMAGE = "ghcr.io/acme/covid-forecast@sha256:" + "cd" * 32


def container() -> dict:
    return worker_container_definition(
        work_pool_name="covid-forecast-madrid",
        log_group="/covid-forecast/madrid",
        region="eu-west-1",
        secrets=[
            {"name": "PREFECT_API_URL", "valueFrom": URL_ARN},
            {"name": "PREFECT_API_KEY", "valueFrom": KEY_ARN},
        ],
        events_queue_name="covid-forecast-madrid-ecs-events",
        image=WORKER_DIGEST,
    )


def worker_image_of(run: ProgramRun) -> str:
    import json

    definition = run.one("aws:ecs/taskDefinition:TaskDefinition")
    (worker,) = json.loads(definition.inputs["containerDefinitions"])
    image: str = worker["image"]
    return image


def test_the_worker_runs_the_image_the_stack_built_pinned_by_digest() -> None:
    run = run_program("madrid")
    image = worker_image_of(run)
    (built,) = [
        r
        for r in run.of_type("docker:index/image:Image")
        if r.inputs["build"]["target"] == "worker"
    ]
    repository = built.inputs["imageName"].rpartition(":")[0]
    assert re.fullmatch(re.escape(repository) + r"@sha256:[0-9a-f]{64}", image), image
    assert image != run.outputs["image"]  # not the flow image


def test_an_image_uri_stack_builds_nothing_and_runs_the_official_worker_image() -> None:
    run = run_program("madrid", overrides={"imageUri": FLOW_IMAGE})
    assert not run.of_type("docker:index/image:Image")
    assert worker_image_of(run) == PUBLIC_WORKER_IMAGE


def test_the_official_fallback_image_has_our_pinned_versions() -> None:
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements-worker.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert (
        f"prefecthq/prefect-aws:{pins['prefect-aws']}-python{python}-prefect{pins['prefect']}"
    ) == PUBLIC_WORKER_IMAGE


def test_worker_serves_the_pool_with_health_check() -> None:
    assert container()["command"] == [
        "prefect",
        "worker",
        "start",
        "--type",
        "ecs",
        "--pool",
        "covid-forecast-madrid",
        "--with-healthcheck",
    ]
    environment = {e["name"]: e["value"] for e in container()["environment"]}
    assert environment["PREFECT_WORKER_WEBSERVER_PORT"] == str(HEALTH_PORT)
    assert "/health" in " ".join(container()["healthCheck"]["command"])


def test_prefect_connection_is_secrets_by_reference_never_environment() -> None:
    definition = container()
    assert definition["secrets"] == [
        {"name": "PREFECT_API_KEY", "valueFrom": KEY_ARN},
        {"name": "PREFECT_API_URL", "valueFrom": URL_ARN},
    ]
    names = {e["name"] for e in definition["environment"]}
    assert not names & {"PREFECT_API_KEY", "PREFECT_API_URL", "PREFECT_API_AUTH_STRING"}


def test_logs_go_to_the_stack_log_group() -> None:
    options = container()["logConfiguration"]["options"]
    assert options["awslogs-group"] == "/covid-forecast/madrid"
    assert options["awslogs-stream-prefix"] == "worker"


def test_health_probe_fails_when_nothing_answers() -> None:
    # The probe is real Python: run it against a port where nothing listens.
    command = health_check(port=1)["command"]
    assert command[:2] == ["CMD", "python"]
    result = subprocess.run(
        [sys.executable, *command[2:]], capture_output=True, timeout=30, check=False
    )
    assert result.returncode != 0
    assert re.search(r"Connection refused|URLError", result.stderr.decode())
