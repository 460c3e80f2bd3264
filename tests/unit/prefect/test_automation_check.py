"""Automation check() and diff() offline: Prefect's own schemas, failures naming the property,
normalised comparisons, unknown values accepted, and never a request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from infra.prefect.automation import AutomationProvider
from infra.prefect.base import UNKNOWN

FAILED: dict[str, Any] = {
    "name": "covid-forecast-madrid-forecast-failed",
    "tags": ["covid-forecast", "stack:madrid"],
    "trigger": {
        "posture": "reactive",
        "expect": ["prefect.flow-run.Failed", "prefect.flow-run.Crashed"],
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "match_related": {
            "prefect.resource.role": "deployment",
            "prefect.resource.id": ["prefect.deployment.b", "prefect.deployment.a"],
        },
        "for_each": ["prefect.resource.id"],
    },
    "actions": [
        {
            "type": "send-notification",
            "block_document_id": "7a4f3c8e-8f4e-4a51-9d2c-1b2d3e4f5a6b",
            "body": "{{ flow_run.name }} failed",
        }
    ],
}


def failures(props: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in AutomationProvider().check({}, props).failures}


def test_a_valid_automation_comes_back_normalised_without_a_request(
    requests_made: list[httpx.Request],
) -> None:
    result = AutomationProvider().check({}, FAILED)
    assert result.failures == []
    trigger = result.inputs["trigger"]
    assert trigger["posture"] == "Reactive"
    assert trigger["expect"] == ["prefect.flow-run.Crashed", "prefect.flow-run.Failed"]
    assert trigger["match_related"]["prefect.resource.id"] == [
        "prefect.deployment.a",
        "prefect.deployment.b",
    ]
    assert (trigger["threshold"], trigger["within"]) == (1, 0)
    # Prefect's default subject is filled in, so the read-back form compares equal.
    assert result.inputs["actions"][0]["subject"] == "Prefect automated notification"
    assert result.inputs["enabled"] is True
    assert requests_made == []


@pytest.mark.parametrize(
    ("change", "prop", "reason"),
    [
        ({"name": ""}, "name", "non-empty"),
        ({"trigger": None}, "trigger", "required"),
        ({"trigger": "on failure"}, "trigger", "event trigger fields"),
        ({"trigger": {**FAILED["trigger"], "expct": []}}, "trigger.expct", "allowed: type"),
        ({"trigger": {**FAILED["trigger"], "posture": "Metric"}}, "trigger.posture", "Reactive"),
        ({"trigger": {**FAILED["trigger"], "type": "compound"}}, "trigger.type", "'event'"),
        ({"trigger": {**FAILED["trigger"], "within": "PT1H"}}, "trigger.within", "seconds"),
        ({"trigger": {**FAILED["trigger"], "threshold": -1}}, "trigger.threshold", "number"),
        (
            {"trigger": {**FAILED["trigger"], "posture": "Proactive", "within": 5}},
            "trigger",
            "10 seconds",
        ),
        ({"actions": []}, "actions", "non-empty list"),
        ({"actions": [{"type": "send-notifcation"}]}, "actions[0].type", "send-notification"),
        ({"actions": [{"type": "cancel-flow-run", "force": True}]}, "actions[0]", "force"),
        (
            {"actions": [{"type": "send-notification", "block_document_id": "x", "body": "b"}]},
            "actions[0].block_document_id",
            "UUID",
        ),
        ({"actions": [{"type": "send-notification"}]}, "actions[0].block_document_id", "Field"),
        ({"tags": ["ok", ""]}, "tags", "non-empty strings"),
        ({"enabled": "yes"}, "enabled", "true or false"),
        ({"description": 3}, "description", "string"),
    ],
)
def test_bad_inputs_fail_naming_the_property(
    change: dict[str, Any], prop: str, reason: str, requests_made: list[httpx.Request]
) -> None:
    found = failures({**FAILED, **change})
    assert prop in found, found
    assert reason in found[prop]
    assert requests_made == []


def test_unknown_values_are_accepted_during_preview() -> None:
    unknown_ids = {
        **FAILED,
        "trigger": {
            **FAILED["trigger"],
            "match_related": {
                "prefect.resource.role": "deployment",
                "prefect.resource.id": UNKNOWN,
            },
        },
        "actions": [{"type": "send-notification", "block_document_id": UNKNOWN, "body": "b"}],
    }
    assert failures(unknown_ids) == {}
    assert failures({**FAILED, "trigger": UNKNOWN, "actions": UNKNOWN}) == {}
    assert failures({**FAILED, "actions": [UNKNOWN]}) == {}
    assert failures({**FAILED, "trigger": {**FAILED["trigger"], "within": UNKNOWN}}) == {}


def test_diff_compares_meaning_and_only_a_new_name_replaces(
    requests_made: list[httpx.Request],
) -> None:
    provider = AutomationProvider()
    olds = provider.check({}, FAILED).inputs
    reordered = {
        **FAILED,
        "trigger": {
            **FAILED["trigger"],
            "posture": "Reactive",
            "expect": ["prefect.flow-run.Crashed", "prefect.flow-run.Failed"],
            "threshold": 1.0,
            "within": 0.0,
        },
        "tags": ["stack:madrid", "covid-forecast"],
        "enabled": None,
    }
    assert provider.diff("id", olds, reordered).changes is False
    body = {**FAILED, "actions": [{**FAILED["actions"][0], "body": "other"}]}
    assert (provider.diff("id", olds, body).changes, provider.diff("id", olds, body).replaces) == (
        True,
        [],
    )
    assert provider.diff("id", olds, {**FAILED, "enabled": False}).replaces == []
    assert provider.diff("id", olds, {**FAILED, "name": "renamed"}).replaces == ["name"]
    assert requests_made == []


def test_an_unknown_new_value_is_a_change_never_a_no_op() -> None:
    provider = AutomationProvider()
    olds = provider.check({}, FAILED).inputs
    news = {**FAILED, "actions": [{**FAILED["actions"][0], "block_document_id": UNKNOWN}]}
    assert provider.diff("id", olds, news).changes is True
    news = {**FAILED, "trigger": UNKNOWN}
    assert provider.diff("id", olds, news).changes is True
