"""diff(): normalised inputs compared offline; only identity fields force a replacement."""

from __future__ import annotations

from typing import Any

import httpx

from infra.prefect.base import UNKNOWN
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider

OLD_OUTPUTS: dict[str, Any] = {
    "flow_name": "covid-prediction",
    "name": "madrid",
    "entrypoint": "flow/flows.py:covid_prediction",
    "work_pool_name": "covid-forecast-madrid",
    "parameters": {"prov_st": "Madrid", "run_id": "abc123", "horizon": 7},
    "schedule": {"cron": "0 6 * * *", "timezone": "UTC", "active": True},
    "tags": ["covid"],
    "concurrency_limit": 1,
    # Read-only outputs sit next to the inputs in Pulumi state.
    "url": "http://127.0.0.1:4200/deployments/deployment/5d1c5b8e-0000-4000-8000-000000000001",
    "flow_id": "6e2c5b8e-0000-4000-8000-000000000002",
    "schedule_id": "7f3c5b8e-0000-4000-8000-000000000003",
}
INPUTS = {k: v for k, v in OLD_OUTPUTS.items() if k not in DeploymentProvider.output_keys()}


def test_identical_inputs_are_no_change_without_any_request(
    requests_made: list[httpx.Request],
) -> None:
    result = DeploymentProvider().diff("deployment-uuid", OLD_OUTPUTS, dict(INPUTS))
    assert result.changes is False
    assert result.replaces == []
    assert requests_made == []


def test_numbers_the_engine_sends_as_floats_and_omitted_defaults_are_no_change() -> None:
    from_engine = {
        **INPUTS,
        "parameters": {"prov_st": "Madrid", "run_id": "abc123", "horizon": 7.0},
        "schedule": {"cron": "0 6 * * *"},  # timezone UTC and active are the defaults
        "concurrency_limit": 1.0,
        "paused": None,
    }
    assert DeploymentProvider().diff("id", OLD_OUTPUTS, from_engine).changes is False


def test_a_new_run_id_is_an_in_place_update() -> None:
    news = {**INPUTS, "parameters": {**INPUTS["parameters"], "run_id": "def456"}}
    result = DeploymentProvider().diff("id", OLD_OUTPUTS, news)
    assert result.changes is True
    assert result.replaces == []


def test_schedule_changes_are_in_place_updates() -> None:
    for schedule in (
        {"cron": "0 7 * * *", "timezone": "UTC"},
        {"cron": "0 6 * * *", "timezone": "Europe/Madrid"},
        {"cron": "0 6 * * *", "active": False},
        None,
    ):
        result = DeploymentProvider().diff("id", OLD_OUTPUTS, {**INPUTS, "schedule": schedule})
        assert (result.changes, result.replaces) == (True, []), schedule


def test_a_new_deployment_or_flow_name_is_a_replacement() -> None:
    assert DeploymentProvider().diff("id", OLD_OUTPUTS, {**INPUTS, "name": "paris"}).replaces == [
        "name"
    ]
    result = DeploymentProvider().diff("id", OLD_OUTPUTS, {**INPUTS, "flow_name": "monitor"})
    assert result.replaces == ["flow_name"]


def test_a_name_unknown_during_preview_is_reported_as_a_replacement() -> None:
    result = DeploymentProvider().diff("id", OLD_OUTPUTS, {**INPUTS, "name": UNKNOWN})
    assert result.replaces == ["name"]


def test_work_pool_identity_is_name_and_type() -> None:
    old = {"name": "p", "type": "process", "job_variable_defaults": {}, "pool_id": "x"}
    provider = WorkPoolProvider()
    retyped = provider.diff("p", old, {**old, "type": "ecs"})
    # Same name, new type: the old pool must go first or the new one would collide with it.
    assert (retyped.replaces, retyped.delete_before_replace) == (["type"], True)
    renamed = provider.diff("p", old, {**old, "name": "q", "type": "ecs"})
    assert (renamed.replaces, renamed.delete_before_replace) == (["name", "type"], False)
    changed = provider.diff("p", old, {**old, "job_variable_defaults": {"working_dir": "/tmp"}})
    assert (changed.changes, changed.replaces) == (True, [])
    assert provider.diff("p", old, {"name": "p", "type": "process"}).changes is False


def test_block_identity_is_type_slug_and_name_and_data_updates_in_place() -> None:
    old = {"type_slug": "s3-bucket", "name": "results", "data": {"bucket_name": "a"}}
    provider = BlockProvider()
    assert provider.diff("x", old, {**old, "name": "other"}).replaces == ["name"]
    result = provider.diff("x", old, {**old, "data": {"bucket_name": "b"}})
    assert (result.changes, result.replaces) == (True, [])
