"""A covidhub stack under mocks: the same AWS platform as a JHU stack, deployments that carry
the source, and a model rollout that is still one change to the deployments' parameters."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import DEFAULT_DATA_URLS
from tests.pulumi_harness import ProgramRun, run_program

DEPLOYMENT = "pulumi-python:dynamic/prefect:Deployment"
KEY = "pnu_covidhub_stack_test_key_0000000000"


@pytest.fixture(scope="module")
def california() -> ProgramRun:
    return run_program("california", secrets={"prefect:apiKey": KEY})


@pytest.fixture(scope="module")
def madrid() -> ProgramRun:
    return run_program("madrid", secrets={"prefect:apiKey": KEY})


def aws_shape(run: ProgramRun) -> list[tuple[str, str]]:
    """Each AWS resource's type and name, with the stack's own name taken out."""
    return sorted(
        (r.type_, r.name.replace(run.stack, "<stack>"))
        for r in run.resources
        if r.type_.startswith(("aws:", "docker"))
    )


def test_a_covidhub_stack_registers_the_same_aws_resources_as_a_jhu_stack(
    california: ProgramRun, madrid: ProgramRun
) -> None:
    assert aws_shape(california) == aws_shape(madrid)
    assert len(aws_shape(california)) > 20


def test_its_deployments_carry_the_source_the_location_and_the_hub_file(
    california: ProgramRun, madrid: ProgramRun
) -> None:
    deployments = {d["flow_name"]: d for d in california.dynamic("Deployment")}
    forecast = deployments["covid-prediction"]
    assert forecast["name"] == "california"
    assert forecast["schedule"]["cron"] == "0 18 * * 3"
    assert forecast["schedule"]["timezone"] == "America/New_York"
    parameters = forecast["parameters"]
    assert parameters["source"] == "covidhub"
    assert parameters["prov_st"] == "California"
    assert parameters["data_url"] == DEFAULT_DATA_URLS["covidhub"]
    assert "country" not in parameters
    assert "Forecast Hub format" in forecast["description"]
    assert deployments["monitor"]["parameters"]["source"] == "covidhub"
    [jhu] = [d for d in madrid.dynamic("Deployment") if d["flow_name"] == "covid-prediction"]
    assert jhu["parameters"]["source"] == "jhu-daily"


def comparable(run: ProgramRun) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r.type_, r.name): r.inputs for r in run.resources}


def test_a_run_id_change_is_still_the_only_change_on_rollout(california: ProgramRun) -> None:
    rollout = run_program(
        "california", overrides={"runId": "0" * 32}, secrets={"prefect:apiKey": KEY}
    )
    before, after = comparable(california), comparable(rollout)
    assert before.keys() == after.keys()
    changed = sorted(key for key in before if before[key] != after[key])
    assert changed == [
        (DEPLOYMENT, "covid-forecast-california-covid-prediction"),
        (DEPLOYMENT, "covid-forecast-california-monitor"),
    ]
    for key in changed:
        assert after[key]["parameters"] == {**before[key]["parameters"], "run_id": "0" * 32}
        assert {k: v for k, v in after[key].items() if k != "parameters"} == {
            k: v for k, v in before[key].items() if k != "parameters"
        }
