"""`make plan-diff`: the working tree's plan against another commit's, in a copy of the repo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.plan_diff import ABSENT, Change, diff_plans, diff_values, flatten, render_diff
from tests.unit.plan.repository import MAKE_VENV, copy_of_checkout, git, set_config

NOW = "2026-12-02T12:00:00+00:00"
NEW_RUN_ID = "0a0b0c0d0e0f0a0b0c0d0e0f0a0b0c0d"
OLD_RUN_ID = "3f6c2b9a8d7e4f1a9b0c5d2e7f8a1b3c"
DEPLOYMENT = "pulumi-python:dynamic/prefect:Deployment"


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout, committed; madrid then edited as `pulumi config set` would."""
    root = copy_of_checkout(tmp_path_factory.mktemp("repository"))
    set_config(root / "Pulumi.madrid.yaml", "covid-forecast:runId", NEW_RUN_ID)
    set_config(root / "Pulumi.madrid.yaml", "covid-forecast:scheduleCron", "30 5 * * *")
    return root


def plan_diff(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.plan_diff", "--now", NOW, *args],
        cwd=repository,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


TARGET = ["plan-diff", "STACK=madrid", "BASE=HEAD", f"DIFF_ARGS=--now {NOW}"]


def test_config_set_of_run_id_and_cron_shows_exactly_those_changes(repository: Path) -> None:
    result = subprocess.run(
        ["make", "--silent", "--no-print-directory", *MAKE_VENV, *TARGET],
        cwd=repository,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[0].startswith("Plan diff of stack 'madrid': HEAD (")
    # Every change line, in order: the two config values and what follows from them.
    assert [line for line in lines if line[:2] in ("~ ", "+ ", "- ")] == [
        f"~ covid-forecast:runId: {OLD_RUN_ID} -> {NEW_RUN_ID}",
        "~ covid-forecast:scheduleCron: 0 6 * * * -> 30 5 * * *",
        f"~ {DEPLOYMENT} covid-forecast-madrid-covid-prediction",
        f"~ parameters.run_id: {OLD_RUN_ID} -> {NEW_RUN_ID}",
        "~ schedule.cron: 0 6 * * * -> 30 5 * * *",
        # The monitor runs the same model: its run_id follows; its own cron does not change.
        f"~ {DEPLOYMENT} covid-forecast-madrid-monitor",
        f"~ parameters.run_id: {OLD_RUN_ID} -> {NEW_RUN_ID}",
    ]
    assert [line for line in lines if line.startswith("next runs:")] == [
        "next runs: Thu 2026-12-03 05:30 CET, Fri 2026-12-04 05:30 CET, Sat 2026-12-05 05:30 CET"
    ]
    assert lines[-1] == (
        "0 to add, 2 to change, 0 to remove; 2 config value(s) and 0 output(s) differ."
    )


def test_an_unchanged_stack_has_no_changes(repository: Path) -> None:
    result = plan_diff(repository, "--stack", "dev", "--base", "HEAD")
    assert result.returncode == 0, result.stderr
    assert "No changes" in result.stdout


def test_a_new_stack_is_all_added(repository: Path) -> None:
    (repository / "Pulumi.paris.yaml").write_text(
        (repository / "Pulumi.dev.yaml").read_text().replace("Madrid", "Paris")
    )
    try:
        result = plan_diff(repository, "--stack", "paris", "--base", "HEAD", "--json")
    finally:
        (repository / "Pulumi.paris.yaml").unlink()
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert diff["removed"] == [] and diff["changed"] == []
    assert any(urn.endswith("::covid-forecast-paris-covid-prediction") for urn in diff["added"])


def test_a_commit_without_the_plan_code_is_planned_with_this_one(repository: Path) -> None:
    # The base predates infra/plan*.py: the diff still compares the programs, not the tools.
    git(
        repository,
        "rm",
        "--quiet",
        "--cached",
        *(f"infra/{p.name}" for p in (repository / "infra").glob("plan*.py")),
    )
    git(repository, "commit", "--quiet", "--message", "without the plan code")
    try:
        result = plan_diff(repository, "--stack", "dev", "--base", "HEAD")
    finally:
        git(repository, "reset", "--quiet", "--soft", "HEAD~1")
    assert result.returncode == 0, result.stderr
    assert "No changes" in result.stdout


def test_a_bad_ref_is_reported_and_compared_with_nothing(repository: Path) -> None:
    result = plan_diff(repository, "--stack", "dev", "--base", "no-such-branch")
    assert result.returncode == 0
    assert "cannot plan no-such-branch" in result.stderr
    assert "(could not be planned)" in result.stdout


def test_a_bad_working_tree_config_fails_like_plan(repository: Path) -> None:
    stack_file = repository / "Pulumi.dev.yaml"
    original = stack_file.read_text()
    set_config(stack_file, "covid-forecast:workerCpu", "300")
    try:
        result = plan_diff(repository, "--stack", "dev", "--base", "HEAD")
    finally:
        stack_file.write_text(original)
    assert result.returncode == 1
    assert "covid-forecast:workerCpu = 300" in result.stderr


def test_flatten_names_each_leaf_by_its_path() -> None:
    value = {"schedule": {"cron": "0 6 * * *"}, "tags": ["a", "b"], "rules": [{"x": 1}], "e": {}}
    assert flatten(value) == {
        "schedule.cron": "0 6 * * *",
        "tags": ["a", "b"],
        "rules[0].x": 1,
        "e": {},
    }
    assert flatten({}) == {}


def test_diff_values_marks_added_and_removed_leaves() -> None:
    assert diff_values({"a": 1, "b": 2}, {"b": 3, "c": 4}) == [
        Change("a", 1, ABSENT),
        Change("b", 2, 3),
        Change("c", ABSENT, 4),
    ]


def test_removed_resources_and_changed_outputs_are_listed() -> None:
    resource = {"urn": "urn:x::t::gone", "type": "t", "name": "gone", "inputs": {"k": "v"}}
    base = {"config": {}, "resources": [resource], "outputs": {"o": 1}, "prefect": []}
    head = {"config": {}, "resources": [], "outputs": {"o": 2}, "prefect": []}
    diff = diff_plans(base, head)
    assert diff.removed == [resource] and diff.outputs == [Change("o", 1, 2)]
    text = render_diff(diff, "s", "base", "head")
    assert "  - t gone" in text and "  ~ o: 1 -> 2" in text
    assert "0 to add, 0 to change, 1 to remove" in text


def test_json_diff_names_each_change_by_urn_and_path() -> None:
    def plan(run_id: str) -> dict[str, object]:
        deployment = {
            "urn": "urn:pulumi:s::p::t::d",
            "type": "t",
            "name": "d",
            "inputs": {"parameters": {"run_id": run_id}},
        }
        return {"config": {"runId": run_id}, "resources": [deployment], "outputs": {}}

    document = diff_plans(plan("a"), plan("b")).as_json()
    assert document == {
        "config": [{"path": "runId", "old": "a", "new": "b"}],
        "added": [],
        "removed": [],
        "changed": [
            {
                "urn": "urn:pulumi:s::p::t::d",
                "inputs": [{"path": "parameters.run_id", "old": "a", "new": "b"}],
                "notes": [],
            }
        ],
        "outputs": [],
    }
