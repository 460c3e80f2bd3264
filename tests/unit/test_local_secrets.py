"""The local runner's secrets and references: the webhook only from outside the stack file,
only a digest in the state, and a reference to a resource not applied yet stops the apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.config import ConfigError
from infra.local import ApplyError, apply_resources, digest, load_local_config, redact
from infra.prefect_plan import PlannedResource, planned_resources
from infra.specs import Ref, Secret, local_plan

URL = "https://hooks.slack.com/services/T0/B0/CANARYlocal0123456789"


def test_the_webhook_comes_from_the_environment_or_set_and_counts_as_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COVID_FORECAST_ALERT_WEBHOOK_URL", URL)
    config = load_local_config("dev")
    assert config.alert_webhook_url is not None
    assert config.alert_webhook_url.get_secret_value() == URL
    monkeypatch.delenv("COVID_FORECAST_ALERT_WEBHOOK_URL")
    assert load_local_config("dev", {"alertWebhookUrl": URL}).alert_webhook_url is not None


def test_a_webhook_in_the_stack_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import infra.local

    original = infra.local.stack_config_values

    def with_plaintext(stack: str) -> dict[str, str]:
        return {**original(stack), "covid-forecast:alertWebhookUrl": URL}

    monkeypatch.setattr(infra.local, "stack_config_values", with_plaintext)
    with pytest.raises(ConfigError) as caught:
        load_local_config("dev")
    assert "--secret covid-forecast:alertWebhookUrl" in str(caught.value)
    assert URL not in str(caught.value)


def test_the_plan_marks_the_url_secret_and_references_the_deployments() -> None:
    config = load_local_config("dev", {"alertWebhookUrl": URL})
    planned = {r.name: r for r in planned_resources(config, local_plan(config))}
    block = planned["covid-forecast-dev-alerts"]
    assert block.props["data"]["url"] == Secret(URL)
    assert URL not in repr(block.props)
    failed = planned["covid-forecast-dev-forecast-failed"]
    assert failed.props["actions"][0]["block_document_id"] == Ref("covid-forecast-dev-alerts")
    assert failed.props["trigger"]["match_related"]["prefect.resource.id"] == [
        Ref("covid-forecast-dev-covid-prediction", "prefect.deployment.")
    ]
    names = list(planned)
    assert names.index("covid-forecast-dev-alerts") < names.index(
        "covid-forecast-dev-forecast-failed"
    )


def test_redact_replaces_every_occurrence_with_a_digest() -> None:
    hidden = redact({"data": {"url": URL, "note": f"see {URL}"}, "n": 1}, {URL: digest(URL)})
    assert URL not in repr(hidden)
    assert hidden["data"]["url"] == digest(URL)
    assert digest(URL).startswith("sha256:") and digest(URL) != digest(URL + "x")


def test_a_reference_to_a_resource_not_applied_stops_before_any_request(tmp_path: Path) -> None:
    automation = PlannedResource(
        "Automation",
        "orphan",
        {
            "name": "orphan",
            "trigger": {"expect": ["prefect.flow-run.Failed"]},
            "actions": [
                {"type": "send-notification", "block_document_id": Ref("gone"), "body": "b"}
            ],
        },
    )
    with pytest.raises(ApplyError, match="Automation orphan: needs gone, which is not applied"):
        apply_resources([automation], tmp_path / "state.json")
    assert not (tmp_path / "state.json").exists()
