"""Deployment `concurrency_options` offline: check names the property, diff compares meaning."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from infra.prefect.base import UNKNOWN
from infra.prefect.deployment import DeploymentProvider

LIMITED: dict[str, Any] = {
    "flow_name": "covid-prediction",
    "name": "madrid",
    "concurrency_limit": 1,
    "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
}


def failures(props: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in DeploymentProvider().check({}, props).failures}


@pytest.mark.parametrize(
    ("options", "prop", "reason"),
    [
        ({"collision_strategy": "DROP"}, "concurrency_options.collision_strategy", "CANCEL_NEW"),
        ({"collision_strategy": 1}, "concurrency_options.collision_strategy", "ENQUEUE"),
        ({"grace_period_seconds": 5}, "concurrency_options.grace_period_seconds", "60"),
        ({"grace_period_seconds": 90.5}, "concurrency_options.grace_period_seconds", "whole"),
        ({"strategy": "CANCEL_NEW"}, "concurrency_options", "allowed: collision_strategy"),
        ("CANCEL_NEW", "concurrency_options", "must be a dict"),
    ],
)
def test_bad_options_fail_naming_the_property(
    options: object, prop: str, reason: str, requests_made: list[httpx.Request]
) -> None:
    found = failures({**LIMITED, "concurrency_options": options})
    assert reason in found[prop]
    assert requests_made == []


def test_valid_and_unknown_options_pass() -> None:
    assert failures(LIMITED) == {}
    assert failures({**LIMITED, "concurrency_options": UNKNOWN}) == {}
    assert failures({**LIMITED, "concurrency_options": {"collision_strategy": UNKNOWN}}) == {}
    assert failures({**LIMITED, "concurrency_options": None, "concurrency_limit": None}) == {}


def test_diff_sees_strategy_changes_in_place_but_not_spelling() -> None:
    provider = DeploymentProvider()
    olds = provider.check({}, LIMITED).inputs
    assert olds["concurrency_options"] == {
        "collision_strategy": "CANCEL_NEW",
        "grace_period_seconds": None,
    }
    same = {**LIMITED, "concurrency_options": {"collision_strategy": "cancel_new"}}
    assert provider.diff("id", olds, same).changes is False
    enqueue = {**LIMITED, "concurrency_options": {"collision_strategy": "ENQUEUE"}}
    diff = provider.diff("id", olds, enqueue)
    assert (diff.changes, diff.replaces) == (True, [])
    unknown = {**LIMITED, "concurrency_options": UNKNOWN}
    assert provider.diff("id", olds, unknown).changes is True
    assert provider.diff("id", olds, {**LIMITED, "concurrency_options": None}).changes is True
