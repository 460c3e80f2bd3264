"""`make plan` / `python -m infra.plan`: the real program on the real stack files, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest

from infra.config import PROJECT_DIR, ConfigError
from infra.plan import build_plan
from tests.pulumi_harness import run_program
from tests.unit.plan.repository import MAKE_VENV

# Next runs are counted from here, so they can be asserted exactly.
NOW = "2026-12-02T12:00:00+00:00"
DIGEST_IMAGE = "ghcr.io/acme/covid-forecast@sha256:" + "cd" * 32


def make_plan(stack: str, *plan_args: str) -> subprocess.CompletedProcess[str]:
    """`make plan STACK=<stack>` in this checkout, as a person would type it."""
    return subprocess.run(
        ["make", "--silent", "--no-print-directory", *MAKE_VENV, "plan", f"STACK={stack}"]
        + ([f"PLAN_ARGS={' '.join(plan_args)}"] if plan_args else []),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m infra.plan ARGS`."""
    return subprocess.run(
        [sys.executable, "-m", "infra.plan", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plan_json(stack: str, now: str = NOW, **overrides: str) -> dict[str, Any]:
    """The `--json` document, built in-process (as `main` builds it) and read back."""
    document = build_plan(stack, overrides, datetime.fromisoformat(now))
    parsed: dict[str, Any] = json.loads(json.dumps(document, sort_keys=True))
    return parsed


@pytest.fixture(scope="module")
def madrid_text() -> str:
    result = make_plan("madrid", "--now", NOW)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_madrid_plan_shows_what_a_reviewer_checks(madrid_text: str) -> None:
    lines = [line.strip() for line in madrid_text.splitlines()]
    assert "deployment  covid-prediction/madrid" in lines
    assert "deployment  monitor/madrid" in lines
    assert "work pool   covid-forecast-madrid (type ecs)" in lines
    assert "schedule    0 6 * * * in Europe/Madrid (active)" in lines
    # 06:00 in Madrid is 05:00 UTC in winter: the runs after 12:00 UTC on Wednesday.
    assert (
        "next runs   Thu 2026-12-03 06:00 CET, Fri 2026-12-04 06:00 CET, Sat 2026-12-05 06:00 CET"
        in lines
    )
    assert "run_id         3f6c2b9a8d7e4f1a9b0c5d2e7f8a1b3c" in lines
    # The flow image is built and pushed by the stack: its digest is known after apply.
    assert "image       <repoDigest of docker:Image covid-forecast-madrid-image>" in lines
    assert "covid-forecast:runId                3f6c2b9a8d7e4f1a9b0c5d2e7f8a1b3c" in lines
    assert "Resources: " in madrid_text and "Outputs" in lines


def test_madrid_resources_are_grouped_by_component(madrid_text: str) -> None:
    lines = madrid_text.splitlines()
    cluster = lines.index("  covid-forecast:aws:Cluster covid-forecast-madrid")
    assert lines[cluster + 1] == "    + aws:ecs/cluster:Cluster covid-forecast-madrid"
    assert "    + aws:ecs/service:Service covid-forecast-madrid-worker" in lines


def test_dev_plan_is_the_local_process_pool() -> None:
    result = make_plan("dev", "--now", NOW)
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "deployment  covid-prediction/madrid" in lines
    assert "work pool   covid-forecast-dev (type process)" in lines
    assert "schedule    0 6 * * * in Europe/Madrid (active)" in lines
    assert "run_id         0123456789abcdef0123456789abcdef" in lines
    assert "image       none (runs in this checkout)" in lines
    # Paths are relative to the checkout: the same plan whichever folder it is in.
    assert str(PROJECT_DIR) not in result.stdout
    assert "Resources: 0 to create" not in result.stdout


def test_json_has_the_same_plan_in_a_stable_order() -> None:
    first = plan("--stack", "madrid", "--json", "--now", NOW)
    assert first.returncode == 0, first.stderr
    # A second run, in-process, prints the very same bytes.
    assert first.stdout == json.dumps(plan_json("madrid"), indent=2, sort_keys=True) + "\n"
    document = json.loads(first.stdout)
    assert list(document) == sorted(document)
    assert document["config"]["covid-forecast:runId"] == "3f6c2b9a8d7e4f1a9b0c5d2e7f8a1b3c"
    forecast = next(p for p in document["prefect"] if p["name"] == "covid-prediction/madrid")
    assert forecast["schedule"]["next_runs"] == [
        "2026-12-03T06:00:00+01:00",
        "2026-12-04T06:00:00+01:00",
        "2026-12-05T06:00:00+01:00",
    ]
    assert forecast["work_pool"] == "covid-forecast-madrid"
    assert document["outputs"]["deploymentName"] == "covid-prediction/madrid"
    urns = [r["urn"] for r in document["resources"]]
    assert urns == sorted(urns)


def test_the_plan_declares_what_the_program_declares() -> None:
    # The harness's run of the same program: every resource it registers is in the plan.
    document = plan_json("madrid")
    planned = {(r["type"], r["name"]) for r in document["resources"]}
    declared = {(r.type_, r.name) for r in run_program("madrid").resources}
    assert planned == declared


def test_set_overrides_like_pulumi_config_set() -> None:
    document = plan_json("madrid", imageUri=DIGEST_IMAGE)
    assert document["config"]["covid-forecast:imageUri"] == DIGEST_IMAGE
    assert {p["image"] for p in document["prefect"] if p["kind"] == "Deployment"} == {DIGEST_IMAGE}
    assert not [r for r in document["resources"] if r["type"] == "docker:index/image:Image"]


def test_next_runs_follow_the_timezone_across_daylight_saving() -> None:
    document = plan_json("madrid", "2027-03-26T12:00:00+00:00", scheduleCron="0 6 * * *")
    forecast = next(p for p in document["prefect"] if p["name"] == "covid-prediction/madrid")
    # Summer time starts on 2027-03-28: still 06:00 on the wall clock, one hour earlier in UTC.
    assert forecast["schedule"]["next_runs"] == [
        "2027-03-27T06:00:00+01:00",
        "2027-03-28T06:00:00+02:00",
        "2027-03-29T06:00:00+02:00",
    ]


def test_a_bad_config_prints_every_problem_like_preview_and_exits_1() -> None:
    overrides = {"workerCpu": "300", "scheduleTimezone": "Europe/Madird"}
    result = plan("--stack", "madrid", *(f"--set={k}={v}" for k, v in overrides.items()))
    assert result.returncode == 1
    assert result.stdout == ""
    with pytest.raises(ConfigError) as raised:
        run_program("madrid", overrides=overrides)
    # The very message `pulumi preview` shows for this config: both keys, at once.
    assert result.stderr.strip() == str(raised.value)
    assert "covid-forecast:workerCpu = 300" in result.stderr
    assert "did you mean Europe/Madrid" in result.stderr


def test_make_plan_of_a_bad_stack_exits_non_zero() -> None:
    result = make_plan("madrid", "--set", "runId=not-a-run-id")
    assert result.returncode != 0
    assert "covid-forecast:runId = 'not-a-run-id'" in result.stderr


def test_an_unknown_stack_names_the_stacks_there_are() -> None:
    result = plan("--stack", "atlantis")
    assert result.returncode == 1
    assert "Pulumi.atlantis.yaml" in result.stderr and "madrid" in result.stderr


def _can_isolate_network() -> bool:
    probe = ["unshare", "--net", "--map-root-user", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=10, check=False).returncode == 0
    except FileNotFoundError:
        return False


MADRID = ["--stack", "madrid", "--now", NOW]


@pytest.mark.skipif(not _can_isolate_network(), reason="no unprivileged network namespace here")
def test_plan_needs_no_network_and_no_credentials() -> None:
    # A network namespace with no interface at all, and an environment with nothing in it.
    result = subprocess.run(
        ["unshare", "--net", "--map-root-user", sys.executable, "-m", "infra.plan", *MADRID],
        cwd=PROJECT_DIR,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "deployment  covid-prediction/madrid" in result.stdout
