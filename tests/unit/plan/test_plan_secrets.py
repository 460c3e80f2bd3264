"""The plan prints no secret: not a secure stack value, not a decrypted one, not the environment's.

Canaries stand in for each secret; the test fails if one appears anywhere in the text or the JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.config import CONFIG_KEYS
from infra.plan_document import plan_document
from infra.plan_mocks import capture_program, stack_config
from infra.plan_text import render
from tests.unit.plan.repository import copy_of_checkout

CANARY_KEY = "pnu_CANARY0123456789abcdefghijklmnopqrstu"
CANARY_WEBHOOK = "https://hooks.example.org/services/CANARY-webhook-0123456789"
CANARY_CIPHERTEXT = "v1:CANARY-ciphertext-0123456789abcdef"
ENVIRONMENT_CANARIES = {
    "PREFECT_API_KEY": "pnu_CANARY-env-key-0123456789",
    "PREFECT_API_AUTH_STRING": "admin:CANARY-env-auth-0123456789",
    "AWS_ACCESS_KEY_ID": "AKIACANARYENV0123456",
    "AWS_SECRET_ACCESS_KEY": "CANARY-env-aws-secret-0123456789",
    "AWS_SESSION_TOKEN": "CANARY-env-aws-session-0123456789",
    "PULUMI_ACCESS_TOKEN": "pul-CANARY-env-token-0123456789",
    "PULUMI_CONFIG_PASSPHRASE": "CANARY-env-passphrase-0123456789",
}
HAS_WEBHOOK = "alertWebhookUrl" in CONFIG_KEYS


def test_decrypted_secrets_reach_the_program_but_not_the_plan() -> None:
    # As if the CLI had decrypted the stack's secrets: the program gets the real values.
    secrets = {"prefect:apiKey": CANARY_KEY}
    if HAS_WEBHOOK:
        secrets["covid-forecast:alertWebhookUrl"] = CANARY_WEBHOOK
    values = {**stack_config("madrid"), **secrets}
    capture = capture_program("madrid", values, sorted(secrets))
    # The check can see the key: the program declared it (encrypted) in what it registered.
    assert CANARY_KEY in json.dumps([d.inputs for d in capture.declarations])
    document = plan_document("madrid", capture, values, sorted(secrets), datetime.now(UTC))
    for output in (render(document), json.dumps(document)):
        assert CANARY_KEY not in output
        assert "CANARY" not in output
    # The key was there: it is what the stack's SSM parameter holds, shown as a secret.
    parameters = {
        r["inputs"]["name"]: r["inputs"]
        for r in document["resources"]
        if r["type"] == "aws:ssm/parameter:Parameter"
    }
    assert parameters["/covid-forecast/madrid/prefect-api-key"]["value"] == "[secret]"
    assert document["config"]["prefect:apiKey"] == "[secret]"
    if HAS_WEBHOOK:
        assert document["config"]["covid-forecast:alertWebhookUrl"] == "[secret]"


@pytest.fixture(scope="module")
def secure_stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout whose madrid stack holds its secrets as `secure:` values."""
    root = copy_of_checkout(tmp_path_factory.mktemp("secure"))
    stack_file = root / "Pulumi.madrid.yaml"
    lines = [f"  prefect:apiKey:\n    secure: {CANARY_CIPHERTEXT}"]
    if HAS_WEBHOOK:
        lines.append(f"  covid-forecast:alertWebhookUrl:\n    secure: {CANARY_CIPHERTEXT}")
    stack_file.write_text(stack_file.read_text() + "\n".join(lines) + "\n")
    return root


@pytest.mark.parametrize("output", ["text", "json"])
def test_secure_values_and_environment_secrets_never_print(secure_stack: Path, output: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.plan", "--stack", "madrid"]
        + (["--json"] if output == "json" else []),
        cwd=secure_stack,
        env={**os.environ, **ENVIRONMENT_CANARIES},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "CANARY" not in result.stdout + result.stderr
    # The secure key counts as set: the stack declares the parameter that carries it.
    assert "/covid-forecast/madrid/prefect-api-key" in result.stdout
    assert "[secret]" in result.stdout
