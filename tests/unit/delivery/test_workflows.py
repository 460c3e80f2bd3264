"""The GitHub workflows: valid, pinned, least-privileged, and doing what docs/operations.md says.

`actionlint` cannot be installed here, so these tests check what GitHub would reject or what
would go wrong at run time, and execute the workflows' own shell steps where they hold logic
(the stack matrix, the destroy confirmation).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import PROJECT_DIR

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
# owner/repo[/path]@vX.Y.Z, or @<full commit SHA>; a moving tag (v4, main) is not a pin.
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")
OIDC_ACTION = "aws-actions/configure-aws-credentials"
PULUMI_ACTION = "pulumi/actions"


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    on: Any = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else dict(on)


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]
    assert len(found) == 1, f"expected one {action} step, got {len(found)}"
    return found[0]


def run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a `run:` script the way GitHub's ubuntu runners do (bash -eo pipefail)."""
    path = cwd / "step.sh"
    path.write_text(script)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


ALL = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_three_workflows_exist() -> None:
    assert ALL == ["ci.yml", "destroy.yml", "preview.yml"]


@pytest.mark.parametrize("name", ALL)
def test_workflow_has_the_keys_github_requires(name: str) -> None:
    workflow = load(name)
    assert workflow["name"] and triggers(workflow) and workflow["jobs"]
    for job_id, job in workflow["jobs"].items():
        assert re.fullmatch(r"[A-Za-z_][\w-]*", job_id), job_id
        assert job["runs-on"] and job["steps"], job_id
        assert isinstance(job.get("timeout-minutes"), int), f"{job_id}: bound its run time"
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in workflow["jobs"], f"{job_id} needs unknown job {need}"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{job_id}: a step has uses or run"


@pytest.mark.parametrize("name", ALL)
def test_every_action_is_pinned_to_a_version(name: str) -> None:
    for step in steps(load(name)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{name}: {step['uses']} is not pinned"


@pytest.mark.parametrize("name", ALL)
def test_permissions_are_least_privilege(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}, "top level: read the code, no more"
    for job_id, job in workflow["jobs"].items():
        granted = job.get("permissions", workflow["permissions"])
        assert isinstance(granted, dict), f"{job_id}: no read-all/write-all shorthands"
        uses = {s.get("uses", "").split("@")[0] for s in job["steps"]}
        assert (granted.get("id-token") == "write") == (OIDC_ACTION in uses), (
            f"{job_id}: id-token: write exactly where AWS credentials come from OIDC"
        )
        writes = {k for k, v in granted.items() if v == "write"} - {"id-token"}
        comments = PULUMI_ACTION in uses and "pull_request" in triggers(workflow)
        assert writes == ({"pull-requests"} if comments else set()), f"{job_id}: {writes}"


@pytest.mark.parametrize("name", ALL)
def test_no_long_lived_aws_keys(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for step in steps(load(name)):
        if step.get("uses", "").startswith(OIDC_ACTION):
            assert step["with"]["role-to-assume"].startswith("${{ vars."), "role ARN variable"


@pytest.mark.parametrize("name", ALL)
def test_no_expression_is_pasted_into_a_shell_script(name: str) -> None:
    # `${{ }}` inside `run:` is substituted before bash parses it: a stack file name or an input
    # could inject commands. Values reach scripts through `env:` instead.
    for step in steps(load(name)):
        assert "${{" not in step.get("run", ""), step.get("name")


def test_ci_runs_make_test_on_push_and_pull_request() -> None:
    workflow = load("ci.yml")
    assert {"push", "pull_request"} <= set(triggers(workflow))
    commands = [s["run"].strip() for s in steps(workflow) if "run" in s]
    assert commands == [".ci/run"]
    assert "make test" in (PROJECT_DIR / ".ci" / "run").read_text()
    setup = step_using(workflow["jobs"]["test"], "actions/setup-python")
    assert setup["with"]["python-version"] == "3.11"


def test_preview_matrix_is_every_city_stack_file(tmp_path: Path) -> None:
    workflow = load("preview.yml")
    preview = workflow["jobs"]["preview"]
    assert set(triggers(workflow)) == {"pull_request"}
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    lister = workflow["jobs"]["stacks"]
    assert lister["outputs"]["stacks"] == "${{ steps.list.outputs.stacks }}"
    script = next(s["run"] for s in lister["steps"] if s.get("id") == "list")

    def matrix(files: list[str]) -> list[str]:
        workdir = tmp_path / str(len(files))
        workdir.mkdir()
        for name in files:
            (workdir / name).write_text("config: {}\n")
        output = workdir / "github_output"
        result = run_step(script, workdir, {"GITHUB_OUTPUT": str(output)})
        assert result.returncode == 0, result.stderr
        key, value = output.read_text().strip().split("=", 1)
        assert key == "stacks"
        return json.loads(value)

    repository_files = [p.name for p in PROJECT_DIR.glob("Pulumi*.yaml")]
    stack_names = [
        n[len("Pulumi.") : -len(".yaml")] for n in repository_files if n != "Pulumi.yaml"
    ]
    assert "madrid" in stack_names
    assert matrix(repository_files) == sorted(s for s in stack_names if s != "dev")
    assert matrix(["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.paris.yaml", "Pulumi.rome.yaml"]) == [
        "paris",
        "rome",
    ]
    assert matrix(["Pulumi.yaml", "Pulumi.dev.yaml"]) == []
    assert "needs.stacks.outputs.stacks != '[]'" in preview["if"], "an empty matrix is an error"


def test_preview_comments_the_diff_of_each_stack() -> None:
    preview = load("preview.yml")["jobs"]["preview"]
    pulumi = step_using(preview, PULUMI_ACTION)["with"]
    assert pulumi["command"] == "preview"
    assert "matrix.stack" in pulumi["stack-name"]
    assert pulumi["comment-on-pr"] is True and pulumi["github-token"]
    assert "matrix.stack" in preview["concurrency"]["group"]
    env = step_using(preview, PULUMI_ACTION)["env"]
    assert env["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    # Pulumi.yaml runs the program in .venv: the job must create it.
    install = " ".join(s.get("run", "") for s in preview["steps"])
    assert "python -m venv .venv" in install and "-r requirements.txt" in install


def test_destroy_is_manual_and_per_stack() -> None:
    workflow = load("destroy.yml")
    assert set(triggers(workflow)) == {"workflow_dispatch"}
    inputs = triggers(workflow)["workflow_dispatch"]["inputs"]
    assert inputs["stack"]["required"] and inputs["confirm"]["required"]
    job = workflow["jobs"]["destroy"]
    pulumi = step_using(job, PULUMI_ACTION)["with"]
    assert pulumi["command"] == "destroy" and "inputs.stack" in pulumi["stack-name"]
    assert "inputs.stack" in job["concurrency"]["group"]
    assert job["concurrency"]["cancel-in-progress"] is False, "never cancel a destroy half-way"


@pytest.mark.parametrize(
    ("stack", "confirm", "proceeds"),
    [
        ("madrid", "madrid", True),
        ("madrid", "", False),
        ("madrid", "Madrid", False),
        ("madrid", "paris", False),
        ("dev", "dev", False),
    ],
)
def test_destroy_needs_the_stack_name_typed_again(
    stack: str, confirm: str, proceeds: bool, tmp_path: Path
) -> None:
    job = load("destroy.yml")["jobs"]["destroy"]
    check = job["steps"][0]
    assert check["env"] == {"STACK": "${{ inputs.stack }}", "CONFIRM": "${{ inputs.confirm }}"}
    result = run_step(check["run"], tmp_path, {"STACK": stack, "CONFIRM": confirm})
    assert (result.returncode == 0) is proceeds, result.stdout
    if not proceeds:
        assert "::error::" in result.stdout


def test_destroy_refuses_a_stack_without_a_stack_file(tmp_path: Path) -> None:
    job = load("destroy.yml")["jobs"]["destroy"]
    check = next(s for s in job["steps"] if s.get("name") == "Check the stack file exists")
    for name in ("Pulumi.yaml", "Pulumi.madrid.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    assert run_step(check["run"], tmp_path, {"STACK": "madrid"}).returncode == 0
    missing = run_step(check["run"], tmp_path, {"STACK": "paris"})
    assert missing.returncode != 0 and "Pulumi.madrid.yaml" in missing.stdout
