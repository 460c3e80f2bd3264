"""What the benchmarks compare is what they claim to compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.churn import RUN_B, deployment_props, plan_for, write_prefect_yaml
from bench.program_mocks import ProgramRun, Registered
from bench.reliability import BAD_CHECKS, check_messages, config_messages
from bench.scale import inventory, monthly_task_usd


def test_the_prefect_yaml_holds_the_same_deployment_as_our_plan(tmp_path: Path) -> None:
    ours = deployment_props(plan_for(RUN_B))
    write_prefect_yaml(tmp_path / "prefect.yaml", ours)
    document: dict[str, Any] = yaml.safe_load((tmp_path / "prefect.yaml").read_text())
    (theirs,) = document["deployments"]
    assert theirs["name"] == ours["name"] == "madrid"
    assert theirs["entrypoint"] == ours["entrypoint"] == "flow/flows.py:covid_prediction"
    assert theirs["parameters"] == ours["parameters"]
    assert theirs["parameters"]["run_id"] == RUN_B
    assert theirs["work_pool"]["name"] == ours["work_pool_name"]
    assert theirs["schedules"] == [ours["schedule"]]
    assert document["pull"] == ours["pull_steps"]


def test_one_always_on_worker_is_priced_at_fargate_list_price() -> None:
    assert monthly_task_usd(256, 512) == pytest.approx(9.01, abs=0.005)
    assert monthly_task_usd(1024, 2048) == pytest.approx(4 * 9.01, abs=0.02)
    worker_size = {"cpu": "256", "memory": "512"}
    run = ProgramRun(
        [
            Registered("aws:ecs/service:Service", "worker", {"desiredCount": 1.0}),
            Registered("aws:ecs/taskDefinition:TaskDefinition", "worker", worker_size),
            Registered("aws:ecs/cluster:Cluster", "cluster", {}),
            Registered("pulumi-python:dynamic/prefect:Deployment", "madrid", {}),
            Registered("covid-forecast:aws:Worker", "component", {}),
        ]
    )
    assert inventory(run) == {
        "aws_resources": 3,
        "prefect_objects": 1,
        "always_on_tasks": 1.0,
        "usd_per_month": pytest.approx(9.01, abs=0.005),
    }


def test_every_bad_config_in_the_table_is_refused_with_a_message() -> None:
    rows = config_messages()
    accepted = [row for row in rows if not row["error"]]
    assert accepted == []


def test_every_bad_provider_input_in_the_table_fails_check_without_a_request() -> None:
    checked = check_messages()
    assert checked["requests"] == 0
    refused_inputs = {(row["resource"], row["input"]) for row in checked["rows"] if row["reason"]}
    assert len(refused_inputs) == len(BAD_CHECKS)
