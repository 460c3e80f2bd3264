"""DeploymentProvider against a real Prefect server: upsert, in-place updates, schedule identity.

The session server's scheduler runs every second, so "no duplicate future runs" is checked on
the runs it actually creates.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import DeploymentUpdate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType

from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from tests.integration.prefect.conftest import calls, writes

pytestmark = pytest.mark.integration


def deployment_props(unique: str, **extra: Any) -> dict[str, Any]:
    return {
        "flow_name": f"covid-prediction-{unique}",
        "name": "madrid",
        "entrypoint": "flow/flows.py:covid_prediction",
        "work_pool_name": f"pool-{unique}",
        "parameters": {"prov_st": "Madrid", "run_id": "run-1"},
        "job_variables": {"env": {"LOG_LEVEL": "INFO"}},
        "schedule": {"cron": "0 * * * *", "timezone": "Europe/Madrid"},
        "tags": ["covid", "madrid"],
        "description": "daily forecast",
        "pull_steps": [{"prefect.deployments.steps.set_working_directory": {"directory": "/app"}}],
        **extra,
    }


@pytest.fixture
def pool(unique: str) -> str:
    provider = WorkPoolProvider()
    provider.create(provider.check({}, {"name": f"pool-{unique}", "type": "process"}).inputs)
    return f"pool-{unique}"


def scheduled_runs(api: SyncPrefectClient, deployment_id: str) -> list[FlowRun]:
    return api.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[uuid.UUID(deployment_id)])),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
        ),
    )


def wait_for_runs(
    api: SyncPrefectClient,
    deployment_id: str,
    ready: Callable[[list[FlowRun]], bool],
    timeout_s: float = 20,
) -> list[FlowRun]:
    """Poll the scheduled runs until `ready(runs)`; return them (fail with what was seen)."""
    deadline = time.monotonic() + timeout_s
    runs = scheduled_runs(api, deployment_id)
    while not ready(runs) and time.monotonic() < deadline:
        time.sleep(0.5)
        runs = scheduled_runs(api, deployment_id)
    assert ready(runs), [(r.expected_start_time, r.parameters) for r in runs]
    return runs


def no_duplicate_start_times(runs: list[FlowRun]) -> bool:
    starts = [r.expected_start_time for r in runs]
    return len(starts) == len(set(starts))


def test_create_reads_back_equal_with_id_url_and_a_second_create_adopts(
    unique: str, pool: str, api: SyncPrefectClient
) -> None:
    provider = DeploymentProvider()
    props = provider.check({}, deployment_props(unique)).inputs

    created = provider.create(props)
    outs = created.outs or {}
    read = provider.read(created.id, outs)
    adopted = provider.create(props)

    assert read.inputs == props
    assert read.outs == outs
    # With no prior state (a bare `Deployment.get`), the flow name comes from the server.
    assert provider.read(created.id, {}).inputs == props
    assert outs["url"] == f"{api.api_url}".removesuffix("/api/") + (
        f"/deployments/deployment/{created.id}"
    )
    assert adopted.id == created.id
    live = api.read_deployment(created.id)
    assert live.flow_id == uuid.UUID(outs["flow_id"])
    assert [(s.slug, str(s.id)) for s in live.schedules] == [
        ("pulumi", (adopted.outs or {})["schedule_id"])
    ]


def test_a_run_id_rollout_is_one_patch_keeps_the_schedule_and_leaves_no_duplicate_runs(
    unique: str, pool: str, api: SyncPrefectClient, requests_made: list[httpx.Request]
) -> None:
    provider = DeploymentProvider()
    created = provider.create(provider.check({}, deployment_props(unique)).inputs)
    outs = created.outs or {}
    wait_for_runs(api, created.id, lambda runs: len(runs) >= 3)
    # Changed in the UI: must survive an update that does not touch it.
    api.update_deployment(uuid.UUID(created.id), DeploymentUpdate(description="edited in UI"))
    news = provider.check(
        {}, deployment_props(unique, parameters={"prov_st": "Madrid", "run_id": "run-2"})
    ).inputs

    diff = provider.diff(created.id, outs, news)
    requests_made.clear()
    updated = provider.update(created.id, outs, news)

    assert (diff.changes, diff.replaces) == (True, [])
    assert writes(requests_made) == [f"PATCH /deployments/{created.id}"]
    runs = wait_for_runs(
        api,
        created.id,
        lambda runs: len(runs) >= 3 and all(r.parameters["run_id"] == "run-2" for r in runs),
    )
    assert no_duplicate_start_times(runs)
    live = api.read_deployment(created.id)
    assert [str(s.id) for s in live.schedules] == [outs["schedule_id"]]
    assert (updated.outs or {})["schedule_id"] == outs["schedule_id"]
    assert live.description == "edited in UI"
    assert live.tags == ["covid", "madrid"]


def test_cron_timezone_and_active_updates_patch_the_same_schedule(
    unique: str, pool: str, api: SyncPrefectClient, requests_made: list[httpx.Request]
) -> None:
    provider = DeploymentProvider()
    created = provider.create(provider.check({}, deployment_props(unique)).inputs)
    outs = created.outs or {}
    deployment_id, schedule_id = created.id, outs["schedule_id"]

    retimed = provider.check(
        {}, deployment_props(unique, schedule={"cron": "30 */2 * * *", "timezone": "UTC"})
    ).inputs
    requests_made.clear()
    outs = provider.update(deployment_id, outs, retimed).outs or {}
    assert writes(requests_made) == [f"PATCH /deployments/{deployment_id}/schedules/{schedule_id}"]
    runs = wait_for_runs(
        api,
        deployment_id,
        lambda runs: len(runs) >= 3 and all(r.expected_start_time.minute == 30 for r in runs),
    )
    assert no_duplicate_start_times(runs)

    paused = provider.check(
        {},
        deployment_props(
            unique, schedule={"cron": "30 */2 * * *", "timezone": "UTC", "active": False}
        ),
    ).inputs
    outs = provider.update(deployment_id, outs, paused).outs or {}
    wait_for_runs(api, deployment_id, lambda runs: runs == [])

    [schedule] = api.read_deployment(deployment_id).schedules
    assert (str(schedule.id), schedule.active) == (schedule_id, False)
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 */2 * * *", "UTC")
    assert provider.read(deployment_id, outs).inputs == paused


def test_schedules_added_outside_pulumi_are_left_alone(
    unique: str, pool: str, api: SyncPrefectClient
) -> None:
    from prefect.client.schemas.schedules import IntervalSchedule

    provider = DeploymentProvider()
    created = provider.create(provider.check({}, deployment_props(unique)).inputs)
    outs = created.outs or {}
    api.create_deployment_schedules(
        uuid.UUID(created.id), [(IntervalSchedule(interval=3600), True)]
    )

    no_schedule = provider.check({}, deployment_props(unique, schedule=None)).inputs
    outs = provider.update(created.id, outs, no_schedule).outs or {}
    restored = provider.check({}, deployment_props(unique)).inputs
    outs = provider.update(created.id, outs, restored).outs or {}

    slugs = sorted(str(s.slug) for s in api.read_deployment(created.id).schedules)
    assert slugs == ["None", "pulumi"]
    assert provider.read(created.id, outs).inputs == restored


def test_out_of_band_edits_and_deletion_show_in_read_and_delete_is_idempotent(
    unique: str, pool: str, api: SyncPrefectClient, requests_made: list[httpx.Request]
) -> None:
    provider = DeploymentProvider()
    created = provider.create(provider.check({}, deployment_props(unique)).inputs)
    outs = created.outs or {}
    api.update_deployment(
        uuid.UUID(created.id),
        DeploymentUpdate(parameters={"prov_st": "Paris", "run_id": "run-1"}, paused=True),
    )

    requests_made.clear()
    drifted = provider.read(created.id, outs)
    assert calls(requests_made) == [f"GET /deployments/{created.id}"]
    assert drifted.inputs is not None
    assert drifted.inputs["parameters"]["prov_st"] == "Paris"
    assert drifted.inputs["paused"] is True

    api.delete_deployment(uuid.UUID(created.id))
    assert provider.read(created.id, outs).id == ""
    provider.delete(created.id, outs)
