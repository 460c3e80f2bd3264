"""A deployment's concurrency limit and collision strategy, managed in place on a real server."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient

from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from tests.integration.prefect.conftest import writes

pytestmark = pytest.mark.integration


def props(unique: str, **extra: Any) -> dict[str, Any]:
    return {
        "flow_name": f"concurrency-{unique}",
        "name": "madrid",
        "entrypoint": "flow/flows.py:covid_prediction",
        "work_pool_name": f"concurrency-pool-{unique}",
        "concurrency_limit": 1,
        "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
        **extra,
    }


def test_limit_and_strategy_read_back_and_change_in_one_patch(
    unique: str, api: SyncPrefectClient, requests_made: list[httpx.Request]
) -> None:
    WorkPoolProvider().create({"name": f"concurrency-pool-{unique}", "type": "process"})
    provider = DeploymentProvider()
    wanted = provider.check({}, props(unique)).inputs
    created = provider.create(wanted)
    live = api.read_deployment(uuid.UUID(created.id))
    assert live.global_concurrency_limit is not None
    assert live.global_concurrency_limit.limit == 1
    assert live.concurrency_options is not None
    assert live.concurrency_options.collision_strategy.value == "CANCEL_NEW"

    read = provider.read(created.id, created.outs or {})
    assert read.inputs == wanted
    requests_made.clear()
    assert provider.diff(created.id, read.outs or {}, wanted).changes is False
    assert requests_made == []

    enqueue = provider.check(
        {}, props(unique, concurrency_options={"collision_strategy": "enqueue"})
    ).inputs
    assert provider.diff(created.id, created.outs or {}, enqueue).replaces == []
    requests_made.clear()
    updated = provider.update(created.id, created.outs or {}, enqueue)
    assert [c for c in writes(requests_made) if "csrf" not in c] == [
        f"PATCH /deployments/{created.id}"
    ]
    live = api.read_deployment(uuid.UUID(created.id))
    assert live.concurrency_options is not None
    assert live.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert provider.read(created.id, updated.outs or {}).inputs == enqueue

    # Out of band: someone lifts the limit in the UI; refresh sees it.
    from prefect.client.schemas.actions import DeploymentUpdate

    api.update_deployment(uuid.UUID(created.id), DeploymentUpdate(concurrency_limit=3))
    drifted = provider.read(created.id, updated.outs or {})
    assert drifted.inputs is not None and drifted.inputs["concurrency_limit"] == 3
    assert provider.diff(created.id, drifted.outs or {}, enqueue).changes is True
    provider.delete(created.id, enqueue)
