"""The always-on Prefect ECS worker: a Fargate task definition and a one-task service.

The worker polls the work pool and launches each flow run as its own Fargate task with the
pool's job variables. It runs the stack's own worker image (Dockerfile target `worker`, built by
`StackImages`, digest-pinned), gets the Prefect URL and credential as ECS secrets, and reports
health on its webserver, which the container health check probes so ECS replaces a hung worker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.aws.logs import WORKER_STREAM_PREFIX

# Only for `imageUri` stacks, which build no image: the official worker image of the versions
# requirements-worker.txt pins (tag `<prefect-aws>-python<python>-prefect<prefect>`).
PUBLIC_WORKER_IMAGE = "prefecthq/prefect-aws:0.7.12-python3.11-prefect3.9.1"
WORKER_CONTAINER = "prefect-worker"
# PREFECT_WORKER_WEBSERVER_PORT's default; set explicitly so the probe and the server agree.
HEALTH_PORT = 8080
OBSERVER_QUEUE_ENV = "PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME"


def worker_command(work_pool_name: str) -> list[str]:
    """`prefect worker start` for the pool, with the health endpoint on."""
    return [
        "prefect",
        "worker",
        "start",
        "--type",
        "ecs",
        "--pool",
        work_pool_name,
        "--with-healthcheck",
    ]


def health_check(port: int = HEALTH_PORT) -> dict[str, Any]:
    """Container health check: GET /health on the worker webserver (exit 1 on any failure)."""
    probe = (
        "import urllib.request; "
        f"urllib.request.urlopen('http://localhost:{port}/health', timeout=5)"
    )
    return {
        "command": ["CMD", "python", "-c", probe],
        "interval": 30,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 60,
    }


def worker_container_definition(
    *,
    work_pool_name: str,
    log_group: str,
    region: str,
    secrets: Sequence[dict[str, str]],
    events_queue_name: str,
    image: str,
) -> dict[str, Any]:
    """The worker's container: command, health check, logs; Prefect connection as secrets."""
    return {
        "name": WORKER_CONTAINER,
        "image": image,
        "essential": True,
        "command": worker_command(work_pool_name),
        "environment": [
            {"name": OBSERVER_QUEUE_ENV, "value": events_queue_name},
            {"name": "PREFECT_WORKER_WEBSERVER_PORT", "value": str(HEALTH_PORT)},
            # The observer's SQS, ECS and logs clients take their region from the environment
            # only (prefect_aws.observers.ecs): name the stack's region rather than rely on
            # what the platform happens to set.
            {"name": "AWS_REGION", "value": region},
        ],
        "secrets": sorted(secrets, key=lambda secret: secret["name"]),
        "healthCheck": health_check(),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": WORKER_STREAM_PREFIX,
            },
        },
    }


class Worker(pulumi.ComponentResource):
    """Fargate task definition + ECS service (one task, circuit breaker with rollback)."""

    service_name: pulumi.Output[str]
    task_definition: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        work_pool_name: str,
        image: pulumi.Input[str],
        cpu: int,
        memory: int,
        cluster_arn: pulumi.Input[str],
        region: pulumi.Input[str],
        log_group: pulumi.Input[str],
        secrets: Sequence[dict[str, Any]],
        events_queue_name: pulumi.Input[str],
        execution_role_arn: pulumi.Input[str],
        task_role_arn: pulumi.Input[str],
        subnet_ids: pulumi.Input[list[str]],
        security_group_id: pulumi.Input[str],
        assign_public_ip: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("covid-forecast:aws:Worker", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        container = pulumi.Output.all(
            image=image,
            log_group=log_group,
            region=region,
            secrets=list(secrets),
            events_queue_name=events_queue_name,
        ).apply(lambda values: worker_container_definition(work_pool_name=work_pool_name, **values))
        definition = aws.ecs.TaskDefinition(
            name,
            family=name,
            cpu=str(cpu),
            memory=str(memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role_arn,
            container_definitions=container.apply(lambda c: json.dumps([c])),
            opts=child,
        )
        service = aws.ecs.Service(
            name,
            name=name,
            cluster=cluster_arn,
            task_definition=definition.arn,
            desired_count=1,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=subnet_ids,
                security_groups=[security_group_id],
                assign_public_ip=assign_public_ip,
            ),
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            opts=child,
        )
        self.service_name = service.name
        self.task_definition = pulumi.Output.all(
            arn=definition.arn,
            family=definition.family,
            revision=definition.revision,
            container=container,
        ).apply(
            lambda values: {
                "arn": values["arn"],
                "family": values["family"],
                "revision": values["revision"],
                "cpu": cpu,
                "memory": memory,
                "containerDefinitions": [values["container"]],
            }
        )
        self.register_outputs({"serviceName": self.service_name})
