"""Pulumi Deployments as code: the stack's DeploymentSettings, under mocks, only when configured."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from infra.config import PROJECT_DIR
from infra.deployment_settings import deployment_paths
from tests.pulumi_harness import run_program
from tests.unit.delivery.engine import ORGANIZATION, EngineLog
from tests.unit.delivery.stacks import STACKS

SETTINGS = "pulumiservice:index:DeploymentSettings"
REPO = "acme/covid-forecast"
ROLE = "arn:aws:iam::123456789012:role/pulumi-deployments"


def settings_of(stack: str, **overrides: Any) -> dict[str, Any]:
    run = run_program(stack, overrides={"deploymentsRepo": REPO, **overrides})
    return run.one(SETTINGS).inputs


def deploys(paths: list[str], changed_file: str) -> bool:
    """Whether a push changing `changed_file` triggers a deployment, per Pulumi's path filters.

    Filters are globs matched against the whole repository-relative path; `!` excludes.
    """
    included = [p for p in paths if not p.startswith("!")]
    excluded = [p[1:] for p in paths if p.startswith("!")]
    return any(fnmatch.fnmatchcase(changed_file, p) for p in included) and not any(
        fnmatch.fnmatchcase(changed_file, p) for p in excluded
    )


@pytest.mark.parametrize("stack", STACKS)
def test_no_settings_without_deployments_repo(stack: str, engine_log: EngineLog) -> None:
    run = run_program(stack)
    assert run.of_type(SETTINGS) == []
    assert run.resources, "the program declared nothing at all"


@pytest.mark.parametrize("stack", STACKS)
def test_settings_manage_the_running_stack(stack: str, engine_log: EngineLog) -> None:
    inputs = settings_of(stack)
    assert (inputs["organization"], inputs["project"], inputs["stack"]) == (
        ORGANIZATION,
        "covid-forecast",
        stack,
    )
    vcs = inputs["vcs"]
    assert vcs["provider"] == "github" and vcs["repository"] == REPO
    assert vcs["deployCommits"] is True, "push-to-deploy"
    assert vcs["previewPullRequests"] is True, "PR previews"
    assert inputs["sourceContext"]["git"]["branch"] == "refs/heads/main"


@pytest.mark.parametrize("stack", STACKS)
def test_path_filter_starts_with_the_stacks_own_file(stack: str, engine_log: EngineLog) -> None:
    paths = settings_of(stack)["vcs"]["paths"]
    assert paths[0] == f"Pulumi.{stack}.yaml"
    assert (PROJECT_DIR / paths[0]).is_file()
    other_stack_files = [p for p in paths[1:] if p.startswith("Pulumi.") and p != "Pulumi.yaml"]
    assert other_stack_files == []


def test_a_city_file_deploys_only_that_city_and_shared_code_deploys_every_city() -> None:
    madrid, paris = deployment_paths("madrid"), deployment_paths("paris")
    assert deploys(madrid, "Pulumi.madrid.yaml") and not deploys(paris, "Pulumi.madrid.yaml")
    assert deploys(paris, "Pulumi.paris.yaml") and not deploys(madrid, "Pulumi.paris.yaml")
    for shared in ("infra/program.py", "flow/forecast.py", "requirements.txt", "Dockerfile"):
        assert deploys(madrid, shared) and deploys(paris, shared), shared
    for unrelated in ("docs/operations.md", "README.md", "tests/unit/test_config.py"):
        assert not deploys(madrid, unrelated), unrelated


def test_shared_code_filters_name_code_that_exists() -> None:
    for pattern in deployment_paths("madrid"):
        assert any(PROJECT_DIR.glob(pattern)), f"path filter {pattern!r} matches nothing"


def test_pre_run_command_installs_the_pinned_requirements(engine_log: EngineLog) -> None:
    context = settings_of("dev")["operationContext"]
    assert context["options"]["skipInstallDependencies"] is True
    commands = " && ".join(context["preRunCommands"])
    assert "-r requirements.txt" in commands
    assert ".venv" in commands, "installs into the virtualenv Pulumi.yaml names"


def test_aws_oidc_role_only_when_configured(engine_log: EngineLog) -> None:
    assert "oidc" not in settings_of("dev")["operationContext"]
    oidc = settings_of("dev", deploymentsRoleArn=ROLE)["operationContext"]["oidc"]["aws"]
    assert oidc["roleARN"] == ROLE
    assert "dev" in oidc["sessionName"]


def test_branch_config_selects_the_deployed_branch(engine_log: EngineLog) -> None:
    git = settings_of("dev", deploymentsBranch="release")["sourceContext"]["git"]
    assert git["branch"] == "refs/heads/release"


# --- drift checks -----------------------------------------------------------------------------

DRIFT = "pulumiservice:index:DriftSchedule"


@pytest.mark.parametrize("stack", STACKS)
def test_no_drift_schedule_without_deployments_repo(stack: str, engine_log: EngineLog) -> None:
    assert run_program(stack).of_type(DRIFT) == []


@pytest.mark.parametrize("stack", STACKS)
def test_a_managed_stack_gets_a_daily_drift_check_that_only_reports(
    stack: str, engine_log: EngineLog
) -> None:
    run = run_program(stack, overrides={"deploymentsRepo": REPO})
    drift = run.one(DRIFT).inputs
    assert (drift["organization"], drift["project"], drift["stack"]) == (
        ORGANIZATION,
        "covid-forecast",
        stack,
    )
    minute, hour, day, month, weekday = drift["scheduleCron"].split()
    assert (day, month, weekday) == ("*", "*", "*"), "once a day"
    assert minute.isdigit() and hour.isdigit()
    assert drift["autoRemediate"] is False, "remediation is opt-in"
    # A drift run is a deployment of the stack: it needs the stack's settings first.
    (settings,) = engine_log.of_type(SETTINGS)
    (schedule,) = engine_log.of_type(DRIFT)
    assert engine_log.depends_on(schedule, settings)


def test_drift_remediation_and_schedule_follow_config(engine_log: EngineLog) -> None:
    run = run_program(
        "dev",
        overrides={
            "deploymentsRepo": REPO,
            "driftAutoRemediate": True,
            "driftSchedule": "30 2 * * 1",
        },
    )
    drift = run.one(DRIFT).inputs
    assert drift["autoRemediate"] is True
    assert drift["scheduleCron"] == "30 2 * * 1"


def test_an_empty_drift_schedule_turns_drift_checks_off(engine_log: EngineLog) -> None:
    run = run_program("dev", overrides={"deploymentsRepo": REPO, "driftSchedule": ""})
    assert run.of_type(DRIFT) == []
    assert run.one(SETTINGS), "the deployment settings stay"
