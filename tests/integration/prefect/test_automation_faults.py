"""Automation operations against a Prefect API that is down: bounded retries, then an error
naming the automation, the operation and the URL, never the key."""

from __future__ import annotations

import httpx
import pytest

from infra.prefect.automation import AutomationProvider
from infra.prefect.base import PrefectProviderError
from tests.integration.prefect.test_faults import KEY, configured
from tests.servers import free_port

pytestmark = pytest.mark.integration

PROPS = {
    "name": "covid-forecast-madrid-forecast-failed",
    "trigger": {"expect": ["prefect.flow-run.Failed"]},
    "actions": [{"type": "cancel-flow-run"}],
}
AUTOMATION_ID = "5d1c5b8e-0000-4000-8000-0000000000a1"


def test_every_automation_operation_retries_a_bounded_number_of_times_then_names_itself(
    requests_made: list[httpx.Request],
) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}/api"
    sleeps: list[float] = []
    provider = configured(AutomationProvider(), dead_url, sleeps)
    props = provider.check({}, PROPS).inputs
    changed = {**props, "description": "changed"}
    operations = {
        "create": lambda: provider.create(props),
        "read": lambda: provider.read(AUTOMATION_ID, props),
        "update": lambda: provider.update(AUTOMATION_ID, props, changed),
        "delete": lambda: provider.delete(AUTOMATION_ID, props),
    }
    for operation, call in operations.items():
        requests_made.clear()
        with pytest.raises(PrefectProviderError) as raised:
            call()
        message = str(raised.value)
        assert f"automation '{PROPS['name']}': {operation} failed at {dead_url}" in message
        assert "failed 4 times" in message
        assert KEY not in message
        assert len(requests_made) == 4
    assert sleeps == [0.5, 1.0, 1.5] * 4
