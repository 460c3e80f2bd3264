"""Specs: a `StackConfig` (plus platform facts) -> the exact inputs of each Prefect resource.

Pure functions, no I/O. The Pulumi program turns a `PrefectPlan` into `infra.prefect` resources;
the local runner (`python -m infra.local`) applies the very same plan through the providers'
CRUD. Values may be `pulumi.Output`s on the aws platform (ARNs, the image digest); the local
platform has only plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from infra.config import PROJECT, PROJECT_DIR, StackConfig, slug

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


@dataclass(frozen=True)
class PrefectPlan:
    """Inputs of every Prefect object one stack manages."""

    # None in shared mode: the platform stack owns the pool.
    work_pool: dict[str, Any] | None
    # None in shared mode: the platform stack owns the results block.
    results_block: dict[str, Any] | None
    # `covid-prediction/<city>` first, then `monitor/<city>` when configured.
    deployments: list[dict[str, Any]] = field(default_factory=list)


def stack_prefix(config: StackConfig) -> str:
    """Name prefix of this stack's per-stack objects, e.g. `covid-forecast-madrid`."""
    return f"{PROJECT}-{slug(config.stack)}"


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
        "prov_st": config.city,
        "country": config.country,
        "run_id": config.run_id,
        "artifact_root": config.model_artifacts_uri,
        "tracking_uri": config.mlflow_tracking_uri,
        "data_url": config.data_url,
    }
    # Unset values stay out so the flow's own defaults apply (and diffs stay small).
    return {k: v for k, v in parameters.items() if v is not None}


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
        "tags": [PROJECT, f"city:{config.city_slug}", f"stack:{config.stack}"],
        "description": description,
        "pull_steps": [{SET_WORKING_DIRECTORY: {"directory": working_directory(config)}}],
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
            description=f"Next-day COVID-19 cases and deaths forecast for {config.city}",
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
                description=f"RMSE of the deployed model on recent days for {config.city}",
            )
        )
    return specs


def local_plan(config: StackConfig) -> PrefectPlan:
    """Everything the `local` platform manages: process pool, results block, deployments."""
    block = results_block_spec(config)
    return PrefectPlan(
        work_pool=work_pool_spec(config, {}),
        results_block=block,
        deployments=deployment_specs(config, config.work_pool_name, block_reference(block)),
    )


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
    """A deployment's own ECS job variables: its pinned image and this stack's flow-run size.

    Set on the deployment (not only as pool defaults) so a city sharing another stack's pool
    still runs the image it was deployed with, at the size its own config asks for.
    """
    return {"image": image, "cpu": config.flow_cpu, "memory": config.flow_memory}


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
    return PrefectPlan(
        work_pool=work_pool_spec(config, ecs_job_variable_defaults(config, facts)),
        results_block=block,
        deployments=_ecs_deployments(
            config, config.work_pool_name, block_reference(block), facts.image
        ),
    )


def shared_aws_plan(
    config: StackConfig, work_pool_name: Any, results_block_ref: Any, image: Any
) -> PrefectPlan:
    """A shared-mode city stack: only its deployments, on the platform stack's pool and block."""
    return PrefectPlan(
        work_pool=None,
        results_block=None,
        deployments=_ecs_deployments(config, work_pool_name, results_block_ref, image),
    )
