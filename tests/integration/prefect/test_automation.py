"""AutomationProvider against a real Prefect server: create, read back, no-op diff without a
request, update in place, drift (edit and delete out of band), adoption, idempotent delete."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.events.schemas.automations import Automation, AutomationCore, EventTrigger

from infra.prefect.automation import AutomationProvider
from tests.integration.prefect.conftest import calls, writes

pytestmark = pytest.mark.integration


def stuck_props(name: str, **extra: Any) -> dict[str, Any]:
    """A proactive trigger in the shape the stack's *forecast stuck* automation uses."""
    return {
        "name": name,
        "description": "cancel runs stuck in Running",
        "tags": ["covid-forecast", "stack:test"],
        "trigger": {
            "posture": "Proactive",
            "after": ["prefect.flow-run.Running"],
            "expect": ["prefect.flow-run.*"],
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "match_related": {
                "prefect.resource.role": "deployment",
                "prefect.resource.id": [f"prefect.deployment.{uuid.UUID(int=1)}"],
            },
            "for_each": ["prefect.resource.id"],
            "within": 3600,
        },
        "actions": [{"type": "cancel-flow-run"}],
        **extra,
    }


def within_s(automation: Automation | None) -> float:
    """The event trigger's `within`, in seconds, of an automation read from the server."""
    assert automation is not None
    assert isinstance(automation.trigger, EventTrigger)
    return automation.trigger.within.total_seconds()


def checked(props: dict[str, Any]) -> dict[str, Any]:
    result = AutomationProvider().check({}, props)
    assert result.failures == []
    return dict(result.inputs)


def test_create_read_back_no_op_diff_update_in_place_and_delete(
    unique: str, api: SyncPrefectClient, requests_made: list[httpx.Request]
) -> None:
    provider = AutomationProvider()
    props = checked(stuck_props(f"stuck-{unique}"))
    created = provider.create(props)
    live = api.read_automation(uuid.UUID(created.id))
    assert live is not None and live.name == f"stuck-{unique}"
    assert within_s(live) == 3600

    read = provider.read(created.id, created.outs or {})
    assert read.id == created.id
    assert read.inputs == props

    requests_made.clear()
    assert provider.diff(created.id, read.outs or {}, props).changes is False
    assert requests_made == []  # diff never reaches the server

    changed = checked({**stuck_props(f"stuck-{unique}"), "description": "after 30 min"})
    changed["trigger"]["within"] = 1800
    diff = provider.diff(created.id, created.outs or {}, changed)
    assert (diff.changes, diff.replaces) == (True, [])
    requests_made.clear()
    provider.update(created.id, created.outs or {}, changed)
    assert [c for c in writes(requests_made) if "csrf" not in c] == [
        f"PUT /automations/{created.id}"
    ]
    assert within_s(api.read_automation(uuid.UUID(created.id))) == 1800
    assert provider.read(created.id, changed).inputs == changed

    provider.delete(created.id, changed)
    assert provider.read(created.id, changed).id == ""
    provider.delete(created.id, changed)  # already gone: still a success


def test_enabled_alone_is_one_patch(
    unique: str, api: SyncPrefectClient, requests_made: list[httpx.Request]
) -> None:
    provider = AutomationProvider()
    props = checked(stuck_props(f"toggle-{unique}"))
    created = provider.create(props)
    requests_made.clear()
    provider.update(created.id, props, {**props, "enabled": False})
    assert [c for c in writes(requests_made) if "csrf" not in c] == [
        f"PATCH /automations/{created.id}"
    ]
    live = api.read_automation(uuid.UUID(created.id))
    assert live is not None and live.enabled is False
    provider.delete(created.id, props)


def test_out_of_band_edit_and_delete_are_seen_by_read(unique: str, api: SyncPrefectClient) -> None:
    provider = AutomationProvider()
    props = checked(stuck_props(f"drift-{unique}"))
    created = provider.create(props)

    edited = api.read_automation(uuid.UUID(created.id))
    assert edited is not None and isinstance(edited.trigger, EventTrigger)
    edited.trigger.within = edited.trigger.within * 2
    edited.actions = []
    api.update_automation(
        uuid.UUID(created.id),
        AutomationCore.model_validate(edited.model_dump(exclude={"id", "owner_resource"})),
    )
    drifted = provider.read(created.id, created.outs or {})
    assert drifted.inputs is not None
    assert drifted.inputs["trigger"]["within"] == 7200
    assert drifted.inputs["actions"] == []
    assert provider.diff(created.id, drifted.outs or {}, props).changes is True

    api.delete_automation(uuid.UUID(created.id))
    assert provider.read(created.id, created.outs or {}).id == ""


def test_create_adopts_an_automation_of_the_same_name(
    unique: str, api: SyncPrefectClient, requests_made: list[httpx.Request]
) -> None:
    provider = AutomationProvider()
    first = provider.create(checked(stuck_props(f"adopt-{unique}")))
    requests_made.clear()
    again = provider.create(checked(stuck_props(f"adopt-{unique}", description="adopted")))
    assert again.id == first.id
    assert "POST /automations/" not in calls(requests_made)
    assert [a.description for a in api.read_automations_by_name(f"adopt-{unique}")] == ["adopted"]
    provider.delete(first.id, {})


def test_a_rename_replaces_and_nothing_else_does() -> None:
    provider = AutomationProvider()
    props = checked(stuck_props("a"))
    assert provider.diff("id", props, {**props, "name": "b"}).replaces == ["name"]
    assert provider.diff("id", props, {**props, "enabled": False}).replaces == []
