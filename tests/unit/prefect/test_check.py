"""check(): every bad input becomes a CheckFailure naming the property, before any request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from infra.prefect.base import UNKNOWN, PrefectProvider
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider

DEPLOYMENT: dict[str, Any] = {
    "flow_name": "covid-prediction",
    "name": "madrid",
    "entrypoint": "flow/flows.py:covid_prediction",
    "work_pool_name": "covid-forecast-madrid",
    "parameters": {"prov_st": "Madrid", "run_id": "abc123"},
    "schedule": {"cron": "0 6 * * *", "timezone": "Europe/Madrid", "active": True},
}
POOL: dict[str, Any] = {"name": "covid-forecast", "type": "ecs", "job_variable_defaults": {}}
BLOCK: dict[str, Any] = {"type_slug": "s3-bucket", "name": "results", "data": {"bucket_name": "b"}}


def failures(provider: PrefectProvider, props: dict[str, Any]) -> dict[str, str]:
    result = provider.check({}, props)
    return {f.property: f.reason for f in result.failures}


@pytest.mark.parametrize(
    ("provider", "good"),
    [(DeploymentProvider(), DEPLOYMENT), (WorkPoolProvider(), POOL), (BlockProvider(), BLOCK)],
)
def test_valid_inputs_pass_and_come_back_normalised(
    provider: PrefectProvider, good: dict[str, Any], requests_made: list[httpx.Request]
) -> None:
    result = provider.check({}, good)
    assert result.failures == []
    assert set(result.inputs) == set(provider.defaults)
    assert requests_made == []


@pytest.mark.parametrize(
    ("change", "prop", "reason"),
    [
        ({"schedule": {"cron": "0 25 * * *"}}, "schedule.cron", "Invalid cron string"),
        ({"schedule": {"cron": "every day"}}, "schedule.cron", "e.g. '0 6 * * *'"),
        (
            {"schedule": {"cron": "0 6 * * *", "timezone": "Europe/Madird"}},
            "schedule.timezone",
            "Europe/Madird",
        ),
        ({"schedule": {"cron": "0 6 * * *", "active": "yes"}}, "schedule.active", "true or false"),
        ({"schedule": {"cron": "0 6 * * *", "tz": "UTC"}}, "schedule", "tz"),
        ({"name": ""}, "name", "non-empty"),
        ({"flow_name": "  "}, "flow_name", "non-empty"),
        ({"name": "a/b"}, "name", "'/'"),
        ({"parameters": {"run_id": {1, 2}}}, "parameters", "JSON-serialisable"),
        ({"parameters": {"x": float("nan")}}, "parameters", "JSON-serialisable"),
        ({"parameters": ["run_id"]}, "parameters", "must be a dict"),
        ({"tags": "covid"}, "tags", "list of non-empty strings"),
        ({"pull_steps": ["cd /opt"]}, "pull_steps", "one-key dicts"),
        ({"concurrency_limit": -1}, "concurrency_limit", ">= 0"),
        ({"paused": "no"}, "paused", "true or false"),
        (
            {"work_pool_type": "process", "job_variables": {"cpu": 256, "env": {}}},
            "job_variables",
            "cpu not declared by the 'process'",
        ),
        ({"work_pool_type": "kubernetes-ish", "job_variables": {"x": 1}}, "work_pool_type", "ecs"),
        ({"work_pool": "typo"}, "work_pool", "allowed: concurrency_limit"),
    ],
)
def test_bad_deployment_inputs_name_the_property(
    change: dict[str, Any], prop: str, reason: str, requests_made: list[httpx.Request]
) -> None:
    found = failures(DeploymentProvider(), {**DEPLOYMENT, **change})
    assert prop in found, found
    assert reason in found[prop]
    assert requests_made == []


def test_job_variables_the_pool_type_declares_pass() -> None:
    props = {**DEPLOYMENT, "work_pool_type": "ecs", "job_variables": {"cpu": 512, "memory": 1024}}
    assert failures(DeploymentProvider(), props) == {}


@pytest.mark.parametrize(
    ("change", "prop", "reason"),
    [
        ({"type": "ecs-fargate"}, "type", "installed types: ecs, process"),
        ({"job_variable_defaults": {"subnets": ["s-1"]}}, "job_variable_defaults", "subnets"),
        ({"name": ""}, "name", "non-empty"),
        ({"concurrency_limit": 1.5}, "concurrency_limit", "whole number"),
    ],
)
def test_bad_work_pool_inputs_name_the_property(
    change: dict[str, Any], prop: str, reason: str
) -> None:
    found = failures(WorkPoolProvider(), {**POOL, **change})
    assert reason in found[prop]


@pytest.mark.parametrize(
    ("change", "prop", "reason"),
    [
        ({"name": "Madrid_Results"}, "name", "lowercase letters, digits and dashes"),
        ({"type_slug": ""}, "type_slug", "non-empty"),
        ({"data": "bucket=b"}, "data", "must be a dict"),
    ],
)
def test_bad_block_inputs_name_the_property(change: dict[str, Any], prop: str, reason: str) -> None:
    found = failures(BlockProvider(), {**BLOCK, **change})
    assert reason in found[prop]


def test_values_unknown_during_preview_are_not_failures() -> None:
    props = {
        **DEPLOYMENT,
        "work_pool_name": UNKNOWN,
        "work_pool_type": "ecs",
        "job_variables": {"task_role_arn": UNKNOWN},
    }
    assert failures(DeploymentProvider(), props) == {}
    assert failures(WorkPoolProvider(), {**POOL, "job_variable_defaults": UNKNOWN}) == {}
