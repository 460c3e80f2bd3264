"""Offline: the `pulumi.output.Unknown` objects Pulumi's provider server hands to check() and
diff() during a preview count as unknown, exactly like the sentinel string (the gRPC engine
tests in tests/integration/prefect/test_engine_unknowns.py prove the same end to end)."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from infra.prefect.automation import AutomationProvider
from infra.prefect.base import PrefectProvider, is_unknown
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider

CASES: list[tuple[PrefectProvider, dict[str, Any]]] = [
    (
        WorkPoolProvider(),
        {"name": Unknown(), "type": "ecs", "job_variable_defaults": {"cluster": Unknown()}},
    ),
    (BlockProvider(), {"type_slug": "s3-bucket", "name": "r", "data": {"bucket_name": Unknown()}}),
    (
        DeploymentProvider(),
        {
            "flow_name": "covid-prediction",
            "name": "madrid",
            "work_pool_type": "ecs",
            "job_variables": {"image": Unknown()},
            "schedule": {"cron": Unknown()},
            "concurrency_options": Unknown(),
        },
    ),
    (
        AutomationProvider(),
        {
            "name": "failed",
            "trigger": {"match_related": {"prefect.resource.id": [Unknown()]}},
            "actions": [{"type": "send-notification", "block_document_id": Unknown(), "body": "b"}],
        },
    ),
]


def test_unknown_objects_are_unknown_wherever_they_sit() -> None:
    assert is_unknown(Unknown())
    assert is_unknown({"a": [1, {"b": Unknown()}]})
    assert not is_unknown({"a": [1, {"b": "known"}]})


@pytest.mark.parametrize(("provider", "props"), CASES)
def test_check_accepts_unknown_objects_and_diff_calls_them_a_change(
    provider: PrefectProvider, props: dict[str, Any]
) -> None:
    result = provider.check({}, props)
    assert result.failures == []
    known = {k: v for k, v in props.items() if not is_unknown(v)}
    assert provider.diff("id", known, props).changes is True
