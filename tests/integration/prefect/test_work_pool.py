"""WorkPoolProvider against a real Prefect server: upsert, read-back, drift, in-place updates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import WorkPoolUpdate
from prefect.workers.process import ProcessWorker
from prefect_aws.workers import ECSWorker

from infra.prefect.work_pool import WorkPoolProvider
from tests.integration.prefect.conftest import writes

pytestmark = pytest.mark.integration


def pool_props(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "process",
        "job_variable_defaults": {"working_dir": "/srv/covid"},
        "description": "forecast runs",
        "concurrency_limit": 2,
        **extra,
    }


def test_create_reads_back_equal_and_a_second_create_adopts(
    unique: str, api: SyncPrefectClient
) -> None:
    provider = WorkPoolProvider()
    props = provider.check({}, pool_props(f"pool-{unique}")).inputs

    created = provider.create(props)
    read = provider.read(created.id, created.outs or {})
    adopted = provider.create(props)

    assert created.id == f"pool-{unique}"
    assert read.id == created.id
    assert read.inputs == props
    assert read.outs == created.outs
    assert adopted.outs == created.outs  # same pool, same UUID
    live = api.read_work_pool(created.id)
    assert live.base_job_template["variables"]["properties"]["working_dir"]["default"] == (
        "/srv/covid"
    )
    # The rest of the template is the worker type's own default.
    default = ProcessWorker.get_default_base_job_template()
    assert live.base_job_template["job_configuration"] == default["job_configuration"]
    assert (live.concurrency_limit, live.description, live.is_paused) == (2, "forecast runs", False)


def test_an_ecs_pool_carries_the_aws_defaults_in_its_template(
    unique: str, api: SyncPrefectClient
) -> None:
    provider = WorkPoolProvider()
    defaults = {
        "cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/covid",
        "cpu": 512,
        "memory": 1024,
        "vpc_id": "vpc-0123",
        "network_configuration": {"subnets": ["subnet-a"], "assignPublicIp": "ENABLED"},
    }
    props = provider.check(
        {}, {"name": f"ecs-{unique}", "type": "ecs", "job_variable_defaults": defaults}
    ).inputs
    created = provider.create(props)

    template = api.read_work_pool(created.id).base_job_template
    variables = template["variables"]["properties"]
    assert {key: variables[key]["default"] for key in defaults} == defaults
    pristine = ECSWorker.get_default_base_job_template()
    assert template["job_configuration"] == pristine["job_configuration"]
    provider.delete(created.id, created.outs or {})


def test_update_patches_only_what_changed_and_keeps_unmanaged_template_edits(
    unique: str, api: SyncPrefectClient, requests_made: list[httpx.Request]
) -> None:
    provider = WorkPoolProvider()
    old = provider.check({}, pool_props(f"pool-{unique}")).inputs
    created = provider.create(old)
    # Someone tunes a variable Pulumi does not manage, in the UI.
    live = api.read_work_pool(created.id).base_job_template
    live["variables"]["properties"]["stream_output"]["default"] = False
    api.update_work_pool(created.id, WorkPoolUpdate(base_job_template=live))
    requests_made.clear()

    new = provider.check(
        {}, pool_props(f"pool-{unique}", job_variable_defaults={"command": "python -X dev"})
    ).inputs
    provider.update(created.id, created.outs or {}, new)

    assert writes(requests_made) == [f"PATCH /work_pools/pool-{unique}"]
    variables = api.read_work_pool(created.id).base_job_template["variables"]["properties"]
    assert variables["command"]["default"] == "python -X dev"
    assert variables["working_dir"]["default"] is None  # no longer managed: type default again
    assert variables["stream_output"]["default"] is False  # unmanaged edit survives


def test_out_of_band_edits_and_deletion_show_in_read_and_delete_is_idempotent(
    unique: str, api: SyncPrefectClient
) -> None:
    provider = WorkPoolProvider()
    created = provider.create(provider.check({}, pool_props(f"pool-{unique}")).inputs)
    api.update_work_pool(created.id, WorkPoolUpdate(is_paused=True, concurrency_limit=9))

    drifted = provider.read(created.id, created.outs or {})
    assert drifted.inputs is not None
    assert (drifted.inputs["paused"], drifted.inputs["concurrency_limit"]) == (True, 9)
    assert provider.diff(created.id, drifted.outs or {}, created.outs or {}).changes is True

    api.delete_work_pool(created.id)
    gone = provider.read(created.id, created.outs or {})
    assert gone.id == ""
    provider.delete(created.id, created.outs or {})  # already gone: no error


def test_adopting_a_pool_of_another_type_fails_with_the_fix(unique: str) -> None:
    provider = WorkPoolProvider()
    provider.create(provider.check({}, pool_props(f"pool-{unique}")).inputs)
    ecs = provider.check({}, {"name": f"pool-{unique}", "type": "ecs"}).inputs
    with pytest.raises(Exception, match=r"type 'process' already has this name; delete it"):
        provider.create(ecs)
