"""Specs: a `StackConfig` (plus platform facts) -> the exact inputs of each Prefect resource.

Pure functions, no I/O. The Pulumi program turns a `PrefectPlan` into `infra.prefect` resources;
the local runner (`python -m infra.local`) applies the very same plan through the providers'
CRUD. Values may be `pulumi.Output`s on the aws platform (ARNs, the image digest); the local
platform has only plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

from infra.config import PROJECT, PROJECT_DIR, StackConfig, slug
from infra.tags import stack_tags

# The flow's public names (flow/flows.py). infra/ never imports flow/: the program's own
# environment does not install the flow's dependencies. tests/unit/test_specs.py checks these
# against the real flow signatures.
PREDICTION_FLOW = "covid-prediction"
PREDICTION_ENTRYPOINT = "flow/flows.py:covid_prediction"
MONITOR_FLOW = "monitor"
MONITOR_ENTRYPOINT = "flow/flows.py:monitor"
# Where the Dockerfile puts the code; the pull step makes the flow run there.
IMAGE_WORKDIR = "/opt/prefect/covid-forecast"
# The Prefect pull step that makes a flow run start in `working_directory()`.
SET_WORKING_DIRECTORY = "prefect.deployments.steps.set_working_directory"
# How an ECS flow-run container starts (the `command` job variable). The flow image has
# prefect-client, which has no `prefect` CLI for the worker's default `prefect flow-run execute`;
# `flow.engine` runs `python -m prefect.engine` and exits non-zero when the run Failed.
FLOW_RUN_COMMAND = "python -m flow.engine"
# Flow-run events that mean a forecast did not produce its result.
FAILED_RUN_EVENTS = ("prefect.flow-run.Crashed", "prefect.flow-run.Failed")
# A run starts (or restarts after a retry) running ...
RUN_STARTED_EVENTS = ("prefect.flow-run.Running", "prefect.flow-run.Retrying")
# ... and is no longer stuck once one of these happens. State changes only: a wildcard would
# also match the heartbeat events a hung run's process keeps sending.
RUN_MOVED_ON_EVENTS = tuple(
    f"prefect.flow-run.{state}"
    for state in (
        "AwaitingRetry",
        "Cancelled",
        "Cancelling",
        "Completed",
        "Crashed",
        "Failed",
        "Paused",
        "Suspended",
    )
)


@dataclass(frozen=True)
class Ref:
    """The id of another resource of the same plan, known only once that resource exists.

    `resource` is the resource's planned name (`deployment_resource_name`, ...); the value is
    `prefix + id`. The Pulumi program resolves it to an Output, the local runner to the id in
    its state.
    """

    resource: str
    prefix: str = ""


@dataclass(frozen=True)
class Secret:
    """A value that must never be stored in plaintext (a Pulumi secret; a digest locally)."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class PrefectPlan:
    """Inputs of every Prefect object one stack manages."""

    # None in shared mode: the platform stack owns the pool.
    work_pool: dict[str, Any] | None
    # None in shared mode: the platform stack owns the results block.
    results_block: dict[str, Any] | None
    # `covid-prediction/<city>` first, then `monitor/<city>` when configured.
    deployments: list[dict[str, Any]] = field(default_factory=list)
    # The notification block alerts go through; None when `alertWebhookUrl` is not set.
    alert_block: dict[str, Any] | None = None
    # Automations (forecast failed, forecast stuck); they reference deployments and the block.
    automations: list[dict[str, Any]] = field(default_factory=list)


def stack_prefix(config: StackConfig) -> str:
    """Name prefix of this stack's per-stack objects, e.g. `covid-forecast-madrid`."""
    return f"{PROJECT}-{slug(config.stack)}"


def prefect_tags(config: StackConfig) -> list[str]:
    """Tags of the stack's Prefect objects: the project, and `key:value` for each identity tag
    the AWS resources carry (`project`, `stack`, `city`; `infra.tags.stack_tags`)."""
    return [PROJECT, *(f"{key}:{value}" for key, value in stack_tags(config).items())]


def deployment_resource_name(config: StackConfig, flow_name: str) -> str:
    """The planned (Pulumi resource) name of the stack's deployment of `flow_name`."""
    return f"{stack_prefix(config)}-{flow_name}"


def results_block_name(config: StackConfig) -> str:
    """Name of the stack's results block (Prefect block names: lowercase, digits, dashes)."""
    return f"{stack_prefix(config)}-results"


def results_block_spec(
    config: StackConfig, bucket: Any | None = None, prefix: str = ""
) -> dict[str, Any]:
    """The results block: `s3-bucket` for a bucket (given or in `resultsUri`), else a folder."""
    uri = config.results_uri or ""
    if bucket is None and uri.startswith("s3://"):
        parsed = urlparse(uri)
        bucket, prefix = parsed.netloc, parsed.path.strip("/")
    if bucket is not None:
        return {
            "type_slug": "s3-bucket",
            "name": results_block_name(config),
            "data": {"bucket_name": bucket, "bucket_folder": prefix},
        }
    return {
        "type_slug": "local-file-system",
        "name": results_block_name(config),
        "data": {"basepath": uri},
    }


def block_reference(block: dict[str, Any]) -> str:
    """How a flow names a block document: `<type-slug>/<name>`."""
    return f"{block['type_slug']}/{block['name']}"


def work_pool_spec(config: StackConfig, job_variable_defaults: dict[str, Any]) -> dict[str, Any]:
    """The stack's work pool: `ecs` on aws, `process` on local."""
    return {
        "name": config.work_pool_name,
        "type": "ecs" if config.platform == "aws" else "process",
        "job_variable_defaults": job_variable_defaults,
        "description": f"{PROJECT} flow runs of stack {config.stack} ({config.platform})",
    }


def working_directory(config: StackConfig) -> str:
    """Where a flow run finds `flow/flows.py`: baked into the image, or this checkout."""
    return IMAGE_WORKDIR if config.platform == "aws" else str(PROJECT_DIR)


def _model_parameters(config: StackConfig) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "source": config.data_source,
        "prov_st": config.city,
        "country": config.country,
        "run_id": config.run_id,
        "artifact_root": config.model_artifacts_uri,
        "tracking_uri": config.mlflow_tracking_uri,
        "data_url": config.data_url,
    }
    # Unset values stay out so the flow's own defaults apply (and diffs stay small).
    return {k: v for k, v in parameters.items() if v is not None}


def _subject(config: StackConfig) -> str:
    return "every hub location" if config.city.strip().lower() == "all" else config.city


def forecast_description(config: StackConfig) -> str:
    """What the forecast deployment does, in the words of its data source."""
    if config.data_source == "covidhub":
        return (
            f"Weekly COVID-19 hospital admissions forecast for {_subject(config)}: CDC Forecast "
            "Hub format (23 quantiles, horizons -1..3) and a fan chart"
        )
    return f"Next-day COVID-19 cases and deaths forecast for {config.city}"


def monitor_description(config: StackConfig) -> str:
    """What the monitor deployment scores."""
    if config.data_source == "covidhub":
        return (
            f"WIS of the deployed model's past weekly forecasts for {_subject(config)}, "
            "relative to the hub's flat baseline"
        )
    return f"Error of the deployed model on recent days for {config.city}"


def _deployment(
    config: StackConfig,
    *,
    flow_name: str,
    entrypoint: str,
    cron: str,
    parameters: dict[str, Any],
    work_pool_name: Any,
    description: str,
) -> dict[str, Any]:
    return {
        "flow_name": flow_name,
        "name": config.city_slug,
        "entrypoint": entrypoint,
        "work_pool_name": work_pool_name,
        "parameters": parameters,
        "job_variables": {},
        "schedule": {
            "cron": cron,
            "timezone": config.schedule_timezone,
            "active": config.schedule_active,
        },
        "tags": prefect_tags(config),
        "description": description,
        "pull_steps": [{SET_WORKING_DIRECTORY: {"directory": working_directory(config)}}],
        **concurrency_spec(config),
    }


def concurrency_spec(config: StackConfig) -> dict[str, Any]:
    """At most `concurrencyLimit` runs of a deployment at once; what happens to one more is
    `collisionStrategy` (CANCEL_NEW: cancelled, so a late run and the next schedule never
    race to write the same result). A limit of 0 means no limit."""
    if not config.concurrency_limit:
        return {"concurrency_limit": None, "concurrency_options": None}
    return {
        "concurrency_limit": config.concurrency_limit,
        "concurrency_options": {"collision_strategy": config.collision_strategy},
    }


def deployment_specs(
    config: StackConfig, work_pool_name: Any, results_block_ref: Any
) -> list[dict[str, Any]]:
    """`covid-prediction/<city>` and, when `monitorSchedule` is set, `monitor/<city>`."""
    parameters = {**_model_parameters(config), "results_block": results_block_ref}
    specs = [
        _deployment(
            config,
            flow_name=PREDICTION_FLOW,
            entrypoint=PREDICTION_ENTRYPOINT,
            cron=config.schedule_cron,
            parameters=parameters,
            work_pool_name=work_pool_name,
            description=forecast_description(config),
        )
    ]
    if config.monitor_cron:
        specs.append(
            _deployment(
                config,
                flow_name=MONITOR_FLOW,
                entrypoint=MONITOR_ENTRYPOINT,
                cron=config.monitor_cron,
                parameters=parameters,
                work_pool_name=work_pool_name,
                description=monitor_description(config),
            )
        )
    return specs


def alert_block_type(url: str) -> str:
    """The Prefect notification block type for a webhook URL: Slack and Microsoft Teams
    (Power Automate workflow) URLs get their own block; any other URL gets `custom-webhook`,
    which POSTs `{"text": ...}` (what Slack-compatible receivers such as Mattermost accept)."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    if host in ("hooks.slack.com", "hooks.slack-gov.com") and parsed.path.startswith("/services/"):
        return "slack-webhook"
    if host.endswith((".logic.azure.com", ".powerplatform.com")) and "/workflows/" in parsed.path:
        return "ms-teams-webhook"
    return "custom-webhook"


def alert_block_name(config: StackConfig) -> str:
    """Name of the stack's notification block (also its planned resource name)."""
    return f"{stack_prefix(config)}-alerts"


def alert_block_spec(config: StackConfig, url: str) -> dict[str, Any]:
    """The notification block for `alertWebhookUrl`; the URL travels as a `Secret`."""
    type_slug = alert_block_type(url)
    data: dict[str, Any] = {"url": Secret(url)}
    if type_slug == "custom-webhook":
        data.update(
            {"name": alert_block_name(config), "json_data": {"text": "{{subject}}\n{{body}}"}}
        )
    return {"type_slug": type_slug, "name": alert_block_name(config), "data": data}


def _deployment_match(config: StackConfig, deployments: list[dict[str, Any]]) -> dict[str, Any]:
    """Flow-run events of this stack's deployments (matched by their ids)."""
    return {
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "match_related": {
            "prefect.resource.role": "deployment",
            "prefect.resource.id": [
                Ref(deployment_resource_name(config, spec["flow_name"]), "prefect.deployment.")
                for spec in deployments
            ],
        },
        "for_each": ["prefect.resource.id"],
    }


def _notification(config: StackConfig, what: str) -> dict[str, Any]:
    """A send-notification action through the stack's alert block; Jinja rendered by Prefect."""
    return {
        "type": "send-notification",
        "block_document_id": Ref(alert_block_name(config)),
        "subject": f"{PROJECT} {config.stack}: {{{{ flow_run.name }}}} {what}",
        "body": (
            f"Flow run {{{{ flow_run.name }}}} of deployment {{{{ deployment.name }}}} "
            f"(stack {config.stack}, city {config.city}) {what}: "
            "{{ flow_run.state.name }} {{ flow_run.state.message }}\n{{ flow_run|ui_url }}"
        ),
    }


def failed_automation_spec(
    config: StackConfig, deployments: list[dict[str, Any]]
) -> dict[str, Any]:
    """*Forecast failed*: a run of the stack's deployments enters Failed or Crashed -> notify."""
    return {
        "name": f"{stack_prefix(config)}-forecast-failed",
        "description": f"Notify when a {PROJECT} run of stack {config.stack} fails or crashes",
        "enabled": True,
        "tags": prefect_tags(config),
        "trigger": {
            "posture": "Reactive",
            "expect": list(FAILED_RUN_EVENTS),
            **_deployment_match(config, deployments),
            "threshold": 1,
            "within": 0,
        },
        "actions": [_notification(config, "failed")],
    }


def stuck_automation_spec(
    config: StackConfig, deployments: list[dict[str, Any]], notify: bool
) -> dict[str, Any]:
    """*Forecast stuck*: a run Running for `stuckAfterMinutes` without any further state
    change -> cancel it (and notify, when there is an alert block)."""
    actions: list[dict[str, Any]] = [{"type": "cancel-flow-run"}]
    if notify:
        actions.append(
            _notification(config, f"was cancelled after {config.stuck_after_minutes} min Running")
        )
    return {
        "name": f"{stack_prefix(config)}-forecast-stuck",
        "description": (
            f"Cancel a {PROJECT} run of stack {config.stack} still Running after "
            f"{config.stuck_after_minutes} minutes"
        ),
        "enabled": True,
        "tags": prefect_tags(config),
        "trigger": {
            "posture": "Proactive",
            "after": list(RUN_STARTED_EVENTS),
            "expect": list(RUN_MOVED_ON_EVENTS),
            **_deployment_match(config, deployments),
            "threshold": 1,
            "within": config.stuck_after_minutes * 60,
        },
        "actions": actions,
    }


def with_operations(config: StackConfig, plan: PrefectPlan) -> PrefectPlan:
    """The plan plus its alert block and automations, as `alertWebhookUrl` and
    `stuckAfterMinutes` ask (no URL: no block and no *forecast failed* automation)."""
    url = config.alert_webhook_url.get_secret_value() if config.alert_webhook_url else None
    block = alert_block_spec(config, url) if url else None
    automations = []
    if block is not None:
        automations.append(failed_automation_spec(config, plan.deployments))
    if config.stuck_after_minutes:
        automations.append(stuck_automation_spec(config, plan.deployments, block is not None))
    return replace(plan, alert_block=block, automations=automations)


def local_plan(config: StackConfig) -> PrefectPlan:
    """Everything the `local` platform manages: process pool, results block, deployments,
    alert block and automations."""
    block = results_block_spec(config)
    plan = PrefectPlan(
        work_pool=work_pool_spec(config, {}),
        results_block=block,
        deployments=deployment_specs(config, config.work_pool_name, block_reference(block)),
    )
    return with_operations(config, plan)


@dataclass(frozen=True)
class EcsPoolFacts:
    """The AWS resources an `ecs` pool's flow runs use (values are usually `pulumi.Output`s)."""

    cluster: Any
    vpc_id: Any
    subnet_ids: Any
    security_group_id: Any
    image: Any
    execution_role_arn: Any
    task_role_arn: Any
    log_group: Any
    # `prefect_api_key_secret_arn` (or the auth-string variant) -> the SSM parameter ARN.
    credential_variables: dict[str, Any] = field(default_factory=dict)


def ecs_job_variable_defaults(config: StackConfig, facts: EcsPoolFacts) -> dict[str, Any]:
    """Defaults of the ECS pool's job variables: where and how every flow run starts.

    Only variables prefect-aws' ECS base job template declares. Flow runs get the Prefect
    credential as an ECS secret (the `*_secret_arn` variable), never as plain environment.
    """
    return {
        "cluster": facts.cluster,
        "launch_type": "FARGATE",
        "vpc_id": facts.vpc_id,
        "network_configuration": {
            "subnets": facts.subnet_ids,
            "securityGroups": [facts.security_group_id],
            "assignPublicIp": "ENABLED" if config.assign_public_ip else "DISABLED",
        },
        "image": facts.image,
        "command": FLOW_RUN_COMMAND,
        "cpu": config.flow_cpu,
        "memory": config.flow_memory,
        "execution_role_arn": facts.execution_role_arn,
        "task_role_arn": facts.task_role_arn,
        "configure_cloudwatch_logs": True,
        # The stack's log group exists (with its retention): the driver must not create one.
        "cloudwatch_logs_options": {
            "awslogs-group": facts.log_group,
            "awslogs-create-group": "false",
        },
        **facts.credential_variables,
    }


def ecs_deployment_job_variables(config: StackConfig, image: Any) -> dict[str, Any]:
    """A deployment's own ECS job variables: its pinned image, how it starts, its flow-run size.

    Set on the deployment (not only as pool defaults) so a city sharing another stack's pool
    still runs the image and command it was deployed with, at the size its own config asks for.
    """
    return {
        "image": image,
        "command": FLOW_RUN_COMMAND,
        "cpu": config.flow_cpu,
        "memory": config.flow_memory,
    }


def _ecs_deployments(
    config: StackConfig, work_pool_name: Any, results_block_ref: Any, image: Any
) -> list[dict[str, Any]]:
    specs = deployment_specs(config, work_pool_name, results_block_ref)
    for spec in specs:
        spec["work_pool_type"] = "ecs"
        spec["job_variables"] = ecs_deployment_job_variables(config, image)
    return specs


def aws_plan(
    config: StackConfig, facts: EcsPoolFacts, results_bucket: Any, results_prefix: str = ""
) -> PrefectPlan:
    """A self-contained aws stack: ECS pool, `s3-bucket` results block, its deployments."""
    block = results_block_spec(config, results_bucket, results_prefix)
    plan = PrefectPlan(
        work_pool=work_pool_spec(config, ecs_job_variable_defaults(config, facts)),
        results_block=block,
        deployments=_ecs_deployments(
            config, config.work_pool_name, block_reference(block), facts.image
        ),
    )
    return with_operations(config, plan)


def shared_aws_plan(
    config: StackConfig, work_pool_name: Any, results_block_ref: Any, image: Any
) -> PrefectPlan:
    """A shared-mode city stack: only its deployments, on the platform stack's pool and block."""
    plan = PrefectPlan(
        work_pool=None,
        results_block=None,
        deployments=_ecs_deployments(config, work_pool_name, results_block_ref, image),
    )
    return with_operations(config, plan)
