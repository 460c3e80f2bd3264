"""The GitHub workflows: valid, pinned, least-privileged, and doing what docs/operations.md says.

`actionlint` cannot be installed here, so these tests check what GitHub would reject or what
would go wrong at run time, and execute the workflows' own shell steps where they hold logic
(the stack matrix, the destroy confirmation).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import PROJECT_DIR

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
DEPENDABOT = PROJECT_DIR / ".github" / "dependabot.yml"
# owner/repo[/path]@<full commit SHA>: a tag, even vX.Y.Z, can be moved by whoever controls the
# action's repository (the tj-actions/changed-files compromise, 2025); a commit cannot.
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
# The raw `uses:` line: the SHA, then the release it is, for people and Dependabot.
USES_LINE = re.compile(r"^\s*(?:- )?uses: (?P<ref>\S+)(?: # (?P<version>\S+))?\s*$")
VERSION_COMMENT = re.compile(r"^v\d+\.\d+\.\d+$")
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


def test_the_four_workflows_exist() -> None:
    assert ALL == ["ci.yml", "destroy.yml", "images.yml", "preview.yml"]


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


def uses_lines(name: str) -> list[re.Match[str]]:
    """Every `uses:` line of a workflow file, as written (YAML drops the comments)."""
    lines = (WORKFLOWS / name).read_text().splitlines()
    found = [USES_LINE.match(line) for line in lines if re.match(r"^\s*(- )?uses:", line)]
    assert all(found), f"{name}: a uses: line this test cannot read"
    return [match for match in found if match]


@pytest.mark.parametrize("name", ALL)
def test_every_action_is_pinned_to_a_commit_with_its_version(name: str) -> None:
    for step in steps(load(name)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{name}: {step['uses']} is not a commit SHA"
    for match in uses_lines(name):
        version = match["version"] or ""
        assert VERSION_COMMENT.match(version), f"{name}: {match['ref']} needs `# vX.Y.Z`"


def test_one_action_release_is_one_commit_across_workflows() -> None:
    # Two SHAs under one version comment (or one SHA under two versions) means a comment lies.
    commits: dict[str, set[str]] = {}
    releases: dict[str, set[str]] = {}
    for name in ALL:
        for match in uses_lines(name):
            action, sha = match["ref"].split("@")
            commits.setdefault(f"{action} {match['version']}", set()).add(sha)
            releases.setdefault(f"{action}@{sha}", set()).add(str(match["version"]))
    assert all(len(shas) == 1 for shas in commits.values()), commits
    assert all(len(versions) == 1 for versions in releases.values()), releases


@pytest.mark.parametrize("name", ALL)
def test_checkout_never_leaves_the_token_on_disk(name: str) -> None:
    for step in steps(load(name)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, name


def test_zizmor_finds_nothing_offline() -> None:
    # The GitHub Actions security audit `make lint` runs, at its default persona.
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", str(WORKFLOWS), str(DEPENDABOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-workflows", [WORKFLOWS / name for name in ALL]),
        ("vendor.dependabot", [DEPENDABOT]),
    ],
)
def test_files_match_githubs_schemas_offline(schema: str, files: list[Path]) -> None:
    # check-jsonschema ships these schemas inside the package: no network.
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
        workdir = Path(tempfile.mkdtemp(dir=tmp_path))
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


def test_preview_runs_the_policy_pack_from_the_program_s_virtualenv() -> None:
    preview = load("preview.yml")["jobs"]["preview"]
    pack = step_using(preview, PULUMI_ACTION)["with"]["policyPacks"]
    assert pack == "policy" and (PROJECT_DIR / pack / "PulumiPolicy.yaml").is_file()
    runtime = yaml.safe_load((PROJECT_DIR / pack / "PulumiPolicy.yaml").read_text())["runtime"]
    # The pack runs in .venv, which the job fills from requirements.txt: it must hold the SDK.
    assert (
        PROJECT_DIR / pack / runtime["options"]["virtualenv"]
    ).resolve() == PROJECT_DIR / ".venv"
    pins = (PROJECT_DIR / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("pulumi-policy==") for line in pins)


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


def test_images_runs_on_pull_requests_that_change_an_image() -> None:
    workflow = load("images.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    paths = triggers(workflow)["pull_request"]["paths"]
    assert {"Dockerfile", "requirements*.txt", "flow/**"} <= set(paths)
    for pattern in paths:  # every filter names something in the repository
        assert list(PROJECT_DIR.glob(pattern.removesuffix("/**"))), pattern
    # Only reads the code: no OIDC, no secrets, nothing pushed anywhere.
    text = (WORKFLOWS / "images.yml").read_text()
    assert workflow["permissions"] == {"contents": "read"}
    assert "secrets." not in text and "id-token" not in text and "push: true" not in text


def test_images_builds_both_dockerfile_targets_with_buildx_and_a_cache() -> None:
    job = load("images.yml")["jobs"]["images"]
    uses = [s.get("uses", "").split("@")[0] for s in job["steps"]]
    assert uses.index("docker/setup-buildx-action") < uses.index("docker/build-push-action")
    builds = [s["with"] for s in job["steps"] if s.get("uses", "").startswith("docker/build-push")]
    assert sorted(b["target"] for b in builds) == ["flow", "worker"]
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text()
    for build in builds:
        assert re.search(rf"^FROM .+ AS {build['target']}$", dockerfile, re.M | re.I), (
            f"the Dockerfile has no `{build['target']}` target"
        )
        assert build["load"] is True, "loaded into the runner's Docker, not pushed"
        scope = f"scope={build['target']}"
        assert build["cache-from"] == f"type=gha,{scope}"
        assert build["cache-to"] == f"type=gha,mode=max,{scope}"


def test_images_prefect_server_is_the_pinned_prefect() -> None:
    job = load("images.yml")["jobs"]["images"]
    service = job["services"]["prefect"]
    pins = dict(
        line.split("==")
        for line in (PROJECT_DIR / "requirements-worker.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert service["image"] == f"prefecthq/prefect:{pins['prefect']}-python3.11"
    assert service["command"].startswith("prefect server start --host 0.0.0.0")
    port = service["command"].split("--port ")[1]
    assert service["ports"] == [f"{port}:{port}"]
    assert job["env"]["PREFECT_API_URL"] == f"http://localhost:{port}/api"


def test_images_runs_the_flow_run_with_the_ecs_pools_command() -> None:
    from infra.specs import FLOW_RUN_COMMAND

    job = load("images.yml")["jobs"]["images"]
    by_name = {s.get("name", s.get("uses", "")): s for s in job["steps"]}
    deploy = next(s for s in job["steps"] if s.get("id") == "deploy")
    run = next(
        s for s in job["steps"] if "docker run" in s.get("run", "") and "FLOW_IMAGE" in s["run"]
    )
    assert run["env"]["FLOW_RUN_ID"] == "${{ steps.deploy.outputs.flow-run-id }}"
    assert run["env"]["DEMO_DIR"] == "${{ steps.deploy.outputs.demo-dir }}"
    script = " ".join(run["run"].replace("\\\n", " ").split())
    assert script.endswith(f'"$FLOW_IMAGE" {FLOW_RUN_COMMAND}')
    assert '--env PREFECT__FLOW_RUN_ID="$FLOW_RUN_ID"' in script
    assert '--volume "$DEMO_DIR:$DEMO_DIR"' in script and "--network host" in script
    order = list(by_name.values())
    check = next(s for s in job["steps"] if "image_smoke check " in s.get("run", ""))
    assert order.index(deploy) < order.index(run) < order.index(check)


def test_images_commands_exist_in_the_repository() -> None:
    from demo.image_smoke import main

    job = load("images.yml")["jobs"]["images"]
    scripts = [s["run"] for s in job["steps"] if "run" in s]
    makefile = (PROJECT_DIR / "Makefile").read_text()
    for target in re.findall(r"\bmake (\S+)", "\n".join(scripts)):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"no make target {target}"
    commands = re.findall(r"python -m demo\.image_smoke (\S+)", "\n".join(scripts))
    assert sorted(set(commands)) == ["check", "check-worker", "deploy"]
    for command in commands:
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"])
        assert exited.value.code == 0
    worker = "\n".join(scripts)
    assert '"$WORKER_IMAGE" prefect worker start --help' in worker
    assert '"$WORKER_IMAGE" prefect work-pool get-default-base-job-template --type ecs' in worker


def load_dependabot() -> dict[str, Any]:
    return yaml.safe_load(DEPENDABOT.read_text())


def test_dependabot_updates_every_pinned_thing_weekly_in_groups() -> None:
    updates = load_dependabot()["updates"]
    assert sorted(u["package-ecosystem"] for u in updates) == ["docker", "github-actions", "pip"]
    for update in updates:
        assert update["schedule"]["interval"] == "weekly"
        assert update["groups"], update["package-ecosystem"]
        assert update["cooldown"]["default-days"] >= 7, "no release younger than a week"


def test_dependabot_sees_every_requirements_file_and_dockerfile() -> None:
    directories = {u["package-ecosystem"]: u["directory"] for u in load_dependabot()["updates"]}
    tracked = subprocess.run(
        ["git", "ls-files", "--", "requirements*.txt", "**/requirements*.txt"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "requirements-flow.txt" in tracked
    for requirements in tracked:  # every one where Dependabot's pip entry looks
        folder = "/" + str(Path(requirements).parent).removeprefix(".")
        assert folder.rstrip("/") == directories["pip"].rstrip("/"), requirements
    assert (PROJECT_DIR / directories["docker"].lstrip("/") / "Dockerfile").exists()
    assert (PROJECT_DIR / directories["github-actions"].lstrip("/") / ".github").is_dir()


def test_dependabot_moves_every_prefect_pin_together() -> None:
    pip = next(u for u in load_dependabot()["updates"] if u["package-ecosystem"] == "pip")
    prefect_group = pip["groups"]["prefect"]["patterns"]
    names = [
        line.split("==")[0].lower()
        for path in PROJECT_DIR.glob("requirements*.txt")
        for line in path.read_text().splitlines()
        if line.lower().startswith("prefect")
    ]
    assert {"prefect", "prefect-aws", "prefect-client"} <= set(names)
    for name in names:  # the first matching group takes it: the prefect group is first
        assert any(re.fullmatch(p.replace("*", ".*"), name) for p in prefect_group), name
    assert next(iter(pip["groups"])) == "prefect"


STACK_AND_BASE = ["STACK=madrid", "BASE=HEAD^1"]


class TestOfflinePlanJob:
    """preview.yml's `plan` job: every stack's offline plan and diff, on every pull request."""

    @staticmethod
    def job() -> dict[str, Any]:
        plan: dict[str, Any] = load("preview.yml")["jobs"]["plan"]
        return plan

    @staticmethod
    def script() -> str:
        (step,) = [s for s in TestOfflinePlanJob.job()["steps"] if "run" in s]
        return str(step["run"])

    def test_runs_on_every_pull_request_forks_included(self) -> None:
        on = triggers(load("preview.yml"))
        assert "pull_request" in on and "pull_request_target" not in on
        job = self.job()
        assert "if" not in job, "no condition on who opened the pull request"
        assert not [s for s in job["steps"] if "if" in s]

    def test_is_read_only_and_holds_no_secret(self) -> None:
        job = self.job()
        assert job["permissions"] == {"contents": "read"}
        text = yaml.safe_dump(job)
        assert "secrets." not in text and "secrets[" not in text
        uses = {s["uses"].split("@")[0] for s in job["steps"] if "uses" in s}
        assert uses == {"actions/checkout", "actions/setup-python"}, "no cloud, no comment"
        assert step_using(job, "actions/checkout")["with"]["persist-credentials"] is False

    def test_its_make_targets_exist(self) -> None:
        targets = set(re.findall(r"\bmake\b[^\n]*?\s(plan(?:-diff)?)\s", self.script()))
        assert targets == {"plan", "plan-diff"}
        for target in sorted(targets):
            dry_run = subprocess.run(
                ["make", "--dry-run", "-o", ".venv/.installed-stamp", target, *STACK_AND_BASE],
                cwd=PROJECT_DIR,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert dry_run.returncode == 0, dry_run.stderr
            assert f"-m infra.{target.replace('-', '_')} --stack madrid" in dry_run.stdout

    def test_step_plans_every_stack_and_summarises_only_the_diffs(self, tmp_path: Path) -> None:
        from tests.unit.plan.repository import age_requirements, copy_of_checkout, git, set_config

        repository = copy_of_checkout(tmp_path / "repository")
        age_requirements(repository)  # the step's `make` must use the installed venv as it is
        set_config(repository / "Pulumi.madrid.yaml", "covid-forecast:runId", "ab" * 16)
        git(repository, "commit", "--quiet", "--all", "--message", "the pull request")
        summary = tmp_path / "summary.md"
        script = tmp_path / "step.sh"
        script.write_text(self.script())
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=repository,
            env={"PATH": os.environ["PATH"], "GITHUB_STEP_SUMMARY": str(summary)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        stacks = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in repository.glob("Pulumi.*.yaml")
        )
        assert "madrid" in stacks and "dev" in stacks
        # Each stack's plan goes to the log, in a group of its own.
        for stack in stacks:
            assert f"::group::make plan STACK={stack}" in result.stdout
            assert f"Plan of stack {stack!r}" in result.stdout
        text = summary.read_text()
        assert [line[4:] for line in text.splitlines() if line.startswith("### ")] == stacks
        change = f"~ covid-forecast:runId: 3f6c2b9a8d7e4f1a9b0c5d2e7f8a1b3c -> {'ab' * 16}"
        assert html.escape(change) in text
        assert text.count("No changes") == len(stacks) - 1
        # Only the diffs are posted: not the plans themselves.
        assert "Plan of stack" not in text and "Resources: " not in text
        # A fork's values are text on the page: escaped inside <pre>, never markup.
        assert text.count("<pre>") == text.count("</pre>") == len(stacks)
        assert "Plan diff of stack &#x27;madrid&#x27;" in text
