"""How many HTTP requests each operation costs (printed with `pytest -s`, bounded by asserts).

For comparison, `prefect deploy` of one deployment makes 9 requests (4 writes) on every call,
changed or not. Write operations include one `GET /csrf-token` per operation: Prefect's client
asks once per client whether the server wants CSRF tokens.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from infra.prefect.automation import AutomationProvider
from infra.prefect.base import PrefectProvider
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from tests.integration.prefect.conftest import calls, is_write

pytestmark = pytest.mark.integration


def measure(
    provider: PrefectProvider,
    props: dict[str, Any],
    changed: dict[str, Any],
    requests_made: list[httpx.Request],
) -> dict[str, list[str]]:
    counted: dict[str, list[str]] = {}

    def step(label: str) -> None:
        # A transient 5xx (SQLite busy under the scheduler) is retried by the transport: count
        # what the operation asks for, not the retry policy's repeats of the same request.
        made = calls(requests_made)
        counted[label] = [c for i, c in enumerate(made) if i == 0 or made[i - 1] != c]
        requests_made.clear()

    props = provider.check({}, props).inputs
    changed = provider.check({}, changed).inputs
    requests_made.clear()
    created = provider.create(props)
    step("create")
    provider.diff(created.id, created.outs or {}, props)
    step("no-op diff")
    updated = provider.update(created.id, created.outs or {}, changed)
    step("one-field update")
    provider.read(created.id, updated.outs or {})
    step("read")
    provider.delete(created.id, updated.outs or {})
    step("delete")
    return counted


def report(kind: str, counted: dict[str, list[str]]) -> None:
    for label, requests in counted.items():
        print(f"{kind:<11} {label:<17} {len(requests)} requests: {', '.join(requests)}")


def test_deployment_request_counts(unique: str, requests_made: list[httpx.Request]) -> None:
    WorkPoolProvider().create({"name": f"count-pool-{unique}", "type": "process"})
    props = {
        "flow_name": f"count-flow-{unique}",
        "name": "madrid",
        "work_pool_name": f"count-pool-{unique}",
        "parameters": {"prov_st": "Madrid", "run_id": "run-1"},
        "schedule": {"cron": "0 6 * * *", "timezone": "Europe/Madrid"},
    }
    changed = {**props, "parameters": {"prov_st": "Madrid", "run_id": "run-2"}}
    counted = measure(DeploymentProvider(), props, changed, requests_made)
    report("deployment", counted)
    assert len(counted["create"]) <= 4
    assert counted["no-op diff"] == []
    [patch] = [c for c in counted["one-field update"] if is_write(c)]
    assert patch.startswith("PATCH /deployments/")
    assert len(counted["read"]) == 1
    assert len(counted["delete"]) <= 2


def test_work_pool_and_block_request_counts(
    unique: str, requests_made: list[httpx.Request]
) -> None:
    pool = {"name": f"count-{unique}", "type": "process", "concurrency_limit": 1}
    pool_counts = measure(WorkPoolProvider(), pool, {**pool, "concurrency_limit": 2}, requests_made)
    block = {
        "type_slug": "local-file-system",
        "name": f"count-{unique}",
        "data": {"basepath": "/a"},
    }
    block_counts = measure(
        BlockProvider(), block, {**block, "data": {"basepath": "/tmp"}}, requests_made
    )
    report("work pool", pool_counts)
    report("block", block_counts)
    for counted in (pool_counts, block_counts):
        assert counted["no-op diff"] == []
        assert len([c for c in counted["one-field update"] if is_write(c)]) == 1
        assert len(counted["read"]) == 1
        assert len(counted["create"]) <= 4


def test_automation_request_counts(unique: str, requests_made: list[httpx.Request]) -> None:
    props = {
        "name": f"count-{unique}",
        "trigger": {
            "expect": ["prefect.flow-run.Failed", "prefect.flow-run.Crashed"],
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
        },
        "actions": [{"type": "cancel-flow-run"}],
    }
    changed = {**props, "description": "one field changed"}
    counted = measure(AutomationProvider(), props, changed, requests_made)
    report("automation", counted)
    assert counted["no-op diff"] == []
    assert [c for c in counted["one-field update"] if is_write(c)] == [
        c for c in counted["one-field update"] if c.startswith("PUT /automations/")
    ]
    assert len([c for c in counted["one-field update"] if is_write(c)]) == 1
    assert len(counted["read"]) == 1
    assert len(counted["create"]) <= 4
