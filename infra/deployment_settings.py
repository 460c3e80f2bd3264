"""Pulumi Deployments as code: the stack's own `pulumiservice.DeploymentSettings`.

Declared only when the stack sets `deploymentsRepo`. The settings give the stack push-to-deploy
(`pulumi up` when its files change on `deploymentsBranch`), `pulumi preview` on pull requests,
AWS credentials through OIDC (`deploymentsRoleArn`) and a pre-run command that installs the
pinned `requirements.txt` into the virtualenv `Pulumi.yaml` names.

Path filters decide which pushes deploy which stack. A city's own `Pulumi.<stack>.yaml` deploys
only that city. The code every city runs (the program, the flow baked into the image, the pinned
requirements, the Dockerfile) deploys every city: otherwise a merged code change would sit
undeployed until someone edits that city's stack file, and would then ship together with an
unrelated config change. Docs, tests and other cities' stack files deploy nothing.

Drift checks ride on the same settings: a `DriftSchedule` runs a drift detection of the stack
(a `pulumi refresh --preview-only` run by Pulumi Deployments) on `driftSchedule`, daily by
default, and reports what changed outside Pulumi. It only reports unless `driftAutoRemediate`
is set, which lets the drift run follow with a `pulumi up --refresh` that puts the stack back.
"""

from __future__ import annotations

import pulumi
import pulumi_pulumiservice as pulumiservice

from infra.config import StackConfig
from infra.specs import stack_prefix

# Files whose change alters what every city stack deploys (see the module docstring).
SHARED_CODE_PATHS: tuple[str, ...] = (
    "Pulumi.yaml",
    "__main__.py",
    "infra/**",
    "flow/**",
    "Dockerfile",
    "requirements.txt",
    "requirements-flow.txt",
)

# Pulumi's own dependency step is skipped in favour of these commands so a deployment installs
# exactly the pinned requirements.txt into `.venv`, the virtualenv Pulumi.yaml points the
# Python runtime at.
PRE_RUN_COMMANDS: tuple[str, ...] = (
    "python -m venv .venv",
    ".venv/bin/python -m pip install --disable-pip-version-check -r requirements.txt",
)


def stack_file(stack: str) -> str:
    """The stack's settings file, relative to the repository root."""
    return f"Pulumi.{stack}.yaml"


def deployment_paths(stack: str) -> list[str]:
    """Path filters of a stack: its own stack file, then the code every city runs."""
    return [stack_file(stack), *SHARED_CODE_PATHS]


def branch_ref(branch: str) -> str:
    """`main` -> `refs/heads/main`; a full ref is kept as given."""
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


def _operation_context(
    config: StackConfig, project: str, stack: str
) -> pulumiservice.DeploymentSettingsOperationContextArgs:
    oidc = None
    if config.deployments_role_arn:
        oidc = pulumiservice.OperationContextOIDCArgs(
            aws=pulumiservice.AWSOIDCConfigurationArgs(
                role_arn=config.deployments_role_arn,
                # Shows in CloudTrail which stack's deployment acted.
                session_name=f"pulumi-deployments-{project}-{stack}",
            )
        )
    return pulumiservice.DeploymentSettingsOperationContextArgs(
        pre_run_commands=list(PRE_RUN_COMMANDS),
        oidc=oidc,
        options=pulumiservice.OperationContextOptionsArgs(skip_install_dependencies=True),
    )


def declare_drift_schedule(
    config: StackConfig, settings: pulumiservice.DeploymentSettings
) -> pulumiservice.DriftSchedule | None:
    """The stack's drift detection schedule, or None when `driftSchedule` is empty.

    Drift runs are deployments of the stack, so they need its settings first.
    """
    if config.drift_schedule is None:
        return None
    return pulumiservice.DriftSchedule(
        f"{stack_prefix(config)}-drift-schedule",
        organization=pulumi.get_organization(),
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        schedule_cron=config.drift_schedule,
        auto_remediate=config.drift_auto_remediate,
        opts=pulumi.ResourceOptions(depends_on=[settings]),
    )


def declare_deployment_settings(
    config: StackConfig, opts: pulumi.ResourceOptions | None = None
) -> pulumiservice.DeploymentSettings | None:
    """The running stack's Pulumi Deployments settings, or None when `deploymentsRepo` is unset.

    With them comes the stack's drift schedule (`declare_drift_schedule`). Settings a stack
    declares for itself apply from its next deployment on: the first `pulumi up` that creates
    them runs from a workstation or CI (see docs/operations.md).
    """
    if config.deployments_repo is None:
        return None
    project, stack = pulumi.get_project(), pulumi.get_stack()
    settings = pulumiservice.DeploymentSettings(
        f"{stack_prefix(config)}-deployment-settings",
        organization=pulumi.get_organization(),
        project=project,
        stack=stack,
        source_context=pulumiservice.DeploymentSettingsSourceContextArgs(
            git=pulumiservice.DeploymentSettingsGitSourceArgs(
                branch=branch_ref(config.deployments_branch)
            )
        ),
        vcs=pulumiservice.DeploymentSettingsVcsArgs(
            provider="github",
            repository=config.deployments_repo,
            deploy_commits=True,
            preview_pull_requests=True,
            paths=deployment_paths(stack),
        ),
        operation_context=_operation_context(config, project, stack),
        opts=opts,
    )
    declare_drift_schedule(config, settings)
    return settings
