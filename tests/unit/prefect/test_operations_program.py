"""The stack's operations objects under Pulumi mocks: alert block, automations, run concurrency
and identity tags on every Prefect object; the webhook URL never in plaintext."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pulumi_harness import ProgramRun, is_secret_wrapped, leaks, run_program

WEBHOOK = "https://hooks.slack.com/services/T0CANARY/B0CANARY/webhookCANARY0123456789"
API_KEY = "pnu_CANARY_operations_0123456789"
IDENTITY_TAGS = {"project:covid-forecast", "stack:madrid", "city:madrid"}


@pytest.fixture(scope="module")
def alerted() -> ProgramRun:
    """madrid with the webhook and the API key set as secrets, as `--secret` stores them."""
    return run_program(
        "madrid",
        secrets={"prefect:apiKey": API_KEY, "covid-forecast:alertWebhookUrl": WEBHOOK},
    )


def automations(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in run.dynamic("Automation")}


def test_the_webhook_appears_in_plaintext_nowhere(alerted: ProgramRun) -> None:
    assert leaks(alerted, WEBHOOK) == []
    assert leaks(alerted, "webhookCANARY0123456789") == []
    assert leaks(alerted, API_KEY) == []


def test_failed_runs_notify_through_a_slack_block_holding_the_url_as_a_secret(
    alerted: ProgramRun,
) -> None:
    [block] = [b for b in alerted.dynamic("Block") if b["name"] == "covid-forecast-madrid-alerts"]
    assert block["type_slug"] == "slack-webhook"
    assert is_secret_wrapped(block["data"]) or is_secret_wrapped(block["data"]["url"])

    failed = automations(alerted)["covid-forecast-madrid-forecast-failed"]
    trigger = failed["trigger"]
    assert sorted(trigger["expect"]) == ["prefect.flow-run.Crashed", "prefect.flow-run.Failed"]
    assert trigger["match_related"]["prefect.resource.id"] == [
        "prefect.deployment.covid-forecast-madrid-covid-prediction-id",
        "prefect.deployment.covid-forecast-madrid-monitor-id",
    ]
    [action] = failed["actions"]
    assert action["type"] == "send-notification"
    assert action["block_document_id"] == "covid-forecast-madrid-alerts-id"
    assert alerted.outputs["alerts"].startswith("on: ")
    assert "slack-webhook/covid-forecast-madrid-alerts" in alerted.outputs["alerts"]


def test_stuck_runs_are_cancelled_after_the_configured_minutes(alerted: ProgramRun) -> None:
    stuck = automations(alerted)["covid-forecast-madrid-forecast-stuck"]
    assert stuck["trigger"]["posture"] == "Proactive"
    assert stuck["trigger"]["after"] == ["prefect.flow-run.Running", "prefect.flow-run.Retrying"]
    # Only state changes end the wait: heartbeats of a hung run must not keep it alive.
    assert "prefect.flow-run.Completed" in stuck["trigger"]["expect"]
    assert not [e for e in stuck["trigger"]["expect"] if e.endswith(("*", "heartbeat"))]
    assert stuck["trigger"]["within"] == 60 * 60
    assert [a["type"] for a in stuck["actions"]] == ["cancel-flow-run", "send-notification"]

    shorter = run_program("madrid", overrides={"stuckAfterMinutes": 15})
    [stuck] = shorter.dynamic("Automation")
    assert stuck["trigger"]["within"] == 15 * 60
    assert [a["type"] for a in stuck["actions"]] == ["cancel-flow-run"]
    assert run_program("madrid", overrides={"stuckAfterMinutes": 0}).dynamic("Automation") == []


def test_without_a_webhook_there_is_no_alert_block_and_the_outputs_say_so() -> None:
    run = run_program("madrid", secrets={"prefect:apiKey": API_KEY})
    assert [b["name"] for b in run.dynamic("Block")] == ["covid-forecast-madrid-results"]
    assert list(automations(run)) == ["covid-forecast-madrid-forecast-stuck"]
    assert run.outputs["alerts"].startswith("off: no alertWebhookUrl")
    assert run.outputs["automations"] == ["covid-forecast-madrid-forecast-stuck"]


def test_deployments_run_one_at_a_time_and_cancel_the_next_by_default(
    alerted: ProgramRun,
) -> None:
    for deployment in alerted.dynamic("Deployment"):
        assert deployment["concurrency_limit"] == 1
        assert deployment["concurrency_options"] == {"collision_strategy": "CANCEL_NEW"}
    enqueue = run_program("madrid", overrides={"collisionStrategy": "ENQUEUE"})
    assert {
        d["concurrency_options"]["collision_strategy"] for d in enqueue.dynamic("Deployment")
    } == {"ENQUEUE"}
    unlimited = run_program("madrid", overrides={"concurrencyLimit": 0})
    for deployment in unlimited.dynamic("Deployment"):
        assert deployment.get("concurrency_limit") is None


def test_every_taggable_prefect_object_carries_project_stack_and_city(
    alerted: ProgramRun,
) -> None:
    tagged = alerted.dynamic("Deployment") + alerted.dynamic("Automation")
    assert len(tagged) == 4
    for props in tagged:
        assert set(props["tags"]) >= IDENTITY_TAGS, props["name"]


@pytest.mark.parametrize(
    ("url", "block_type"),
    [
        ("https://hooks.slack.com/services/T0/B0/x", "slack-webhook"),
        ("https://hooks.slack-gov.com/services/T0/B0/x", "slack-webhook"),
        ("https://hooks.slack.com/triggers/T0/1/x", "custom-webhook"),
        (
            "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/"
            "invoke?sig=x",
            "ms-teams-webhook",
        ),
        ("https://chat.example.org/hooks/abc", "custom-webhook"),
        ("http://127.0.0.1:8080/hook", "custom-webhook"),
    ],
)
def test_the_url_picks_the_notification_block_type(url: str, block_type: str) -> None:
    from infra.specs import alert_block_type

    assert alert_block_type(url) == block_type
