"""The worker container: official image, pool command, health probe, secrets by reference."""

from __future__ import annotations

import re
import subprocess
import sys

from infra.aws.worker import (
    HEALTH_PORT,
    WORKER_IMAGE,
    health_check,
    worker_container_definition,
)

KEY_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/covid-forecast/madrid/prefect-api-key"
URL_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/covid-forecast/madrid/prefect-api-url"


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
    )


def test_worker_image_is_a_pinned_official_prefect_aws_tag_matching_our_versions() -> None:
    import prefect
    from prefect_aws import __version__ as prefect_aws_version

    assert (
        f"prefecthq/prefect-aws:{prefect_aws_version}-python{sys.version_info.major}."
        f"{sys.version_info.minor}-prefect{prefect.__version__}"
    ) == WORKER_IMAGE


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
