"""The engine-less runner against a real Prefect server: the same plan, converged step by step."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound

from infra.local import apply_stack, destroy_resources
from tests.servers import PrefectServer

pytestmark = pytest.mark.integration

RUN_A = "a" * 32
RUN_B = "b" * 32


def _apply(overrides: dict[str, str], state: Path) -> list[str]:
    lines: list[str] = []
    apply_stack("dev", overrides, state, log=lines.append)
    return [line.strip() for line in lines]


def test_rollout_monitor_toggle_and_destroy(prefect_server: PrefectServer, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    base = {"runId": RUN_A, "workPoolName": "runner-test-pool", "city": "Catalonia"}
    assert all(line.endswith("created") for line in _apply(base, state))

    # A model rollout is exactly one in-place change, to the forecast deployment.
    lines = _apply({**base, "runId": RUN_B}, state)
    assert [line for line in lines if not line.endswith("unchanged")] == [
        "~ Deployment covid-forecast-dev-covid-prediction: updated"
    ]
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("covid-prediction/catalonia")
        assert deployment.parameters["run_id"] == RUN_B

    # Turning the monitor on creates its deployment; turning it off deletes it.
    lines = _apply({**base, "runId": RUN_B, "monitorSchedule": "0 7 * * 1"}, state)
    assert "+ Deployment covid-forecast-dev-monitor: created" in lines
    lines = _apply({**base, "runId": RUN_B}, state)
    assert "- Deployment covid-forecast-dev-monitor: deleted" in lines
    with get_client(sync_client=True) as client, pytest.raises(ObjectNotFound):
        client.read_deployment_by_name("monitor/catalonia")

    destroy_resources(state, log=lambda _line: None)
    with get_client(sync_client=True) as client, pytest.raises(ObjectNotFound):
        client.read_work_pool("runner-test-pool")
