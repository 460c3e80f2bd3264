"""The `aws` platform: AWS components + the Prefect pool, block and deployments they serve.

Two modes (docs/aws.md):
- **self-contained** (no `platformStack`): flow image in ECR, SSM secrets, network, log group,
  ECS cluster, task-event queue, IAM roles, results bucket, the Prefect worker service and
  its health alarm (SNS topic, optional email subscriber), an `ecs` work pool whose
  job-variable defaults point at all of these, the `s3-bucket` results block and the stack's
  deployments. Its outputs make it usable as a platform stack.
- **shared** (`platformStack` set): only the stack's deployments, on the platform stack's pool,
  image and results block; no always-on resource.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra.aws.alarms import WorkerAlarm
from infra.aws.cluster import Cluster
from infra.aws.context import current_context
from infra.aws.events import TaskEvents
from infra.aws.image import StackImages, configured_image, ecr_repository_arn
from infra.aws.locations import flow_run_reads
from infra.aws.logs import Logs
from infra.aws.network import Network
from infra.aws.roles import Roles
from infra.aws.secrets import PrefectSecrets
from infra.aws.shared import reference_platform
from infra.aws.storage import ResultsStorage
from infra.aws.tags import tag_transformation
from infra.aws.worker import PUBLIC_WORKER_IMAGE, Worker
from infra.config import StackConfig
from infra.prefect_plan import declare_prefect_plan
from infra.specs import (
    EcsPoolFacts,
    aws_plan,
    block_reference,
    results_block_spec,
    shared_aws_plan,
    stack_prefix,
)
from infra.tags import stack_tags


def declare_aws_platform(config: StackConfig) -> dict[str, Any]:
    """Declare the stack's AWS and Prefect resources and return its outputs."""
    if config.shared:
        return _declare_shared_city(config)
    return _declare_self_contained(config)


def _images(
    config: StackConfig, prefix: str, opts: pulumi.ResourceOptions
) -> tuple[pulumi.Output[str], pulumi.Input[str], list[Any], list[Any]]:
    """The digest-pinned flow and worker images, and the ECR repositories each is pulled from
    (flow image's, worker image's: what each execution role may pull).

    An `imageUri` stack builds nothing: its worker runs the official prefect-aws image of the
    pinned versions (Docker Hub, no ECR permission).
    """
    if config.image_uri:
        repository = ecr_repository_arn(config.image_uri)
        return (
            pulumi.Output.from_input(configured_image(config.image_uri)),
            PUBLIC_WORKER_IMAGE,
            [repository] if repository else [],
            [],
        )
    images = StackImages(prefix, keep_count=config.image_keep_count, opts=opts)
    # One repository per image (infra/aws/image.py): each role pulls only its own.
    return images.ref, images.worker_ref, [images.repository_arn], [images.worker_repository_arn]


def _declare_self_contained(config: StackConfig) -> dict[str, Any]:
    prefix = stack_prefix(config)
    context = current_context()
    # Every AWS resource is a child of one of these components, which hands it the tag
    # transformation: each taggable one gets project, stack and city (infra/aws/tags.py).
    tagged = pulumi.ResourceOptions(transformations=[tag_transformation(stack_tags(config))])
    secrets = PrefectSecrets(f"{prefix}-ssm", config, opts=tagged)
    network = Network(f"{prefix}-network", config, opts=tagged)
    logs = Logs(f"{prefix}-logs", config, opts=tagged)
    image, worker_image, flow_repositories, worker_repositories = _images(config, prefix, tagged)
    storage = ResultsStorage(f"{prefix}-results", config, opts=tagged)
    cluster = Cluster(prefix, opts=tagged)
    events = TaskEvents(f"{prefix}-ecs-events", cluster_arn=cluster.arn, opts=tagged)
    reads = flow_run_reads(config)
    roles = Roles(
        prefix,
        context=context,
        cluster_name=cluster.name,
        work_pool_name=config.work_pool_name,
        log_group_arn=logs.arn,
        # The worker reads the Prefect URL and credential; flow runs only the credential
        # (the worker hands them the URL as plain environment).
        worker_parameter_arns=secrets.parameter_arns,
        flow_run_parameter_arns=[arn for arn in [secrets.credential_arn] if arn is not None],
        worker_repository_arns=worker_repositories,
        flow_run_repository_arns=flow_repositories,
        events_queue_arn=events.queue_arn,
        reads=reads,
        results_bucket=storage.bucket,
        results_prefix=storage.prefix,
        opts=tagged,
    )
    facts = EcsPoolFacts(
        cluster=cluster.arn,
        vpc_id=network.vpc_id,
        subnet_ids=network.subnet_ids,
        security_group_id=network.security_group_id,
        image=image,
        execution_role_arn=roles.flow_run_execution_role_arn,
        task_role_arn=roles.flow_run_task_role_arn,
        log_group=logs.name,
        credential_variables=secrets.job_variables(),
    )
    plan = aws_plan(config, facts, storage.bucket, storage.prefix)
    declared = declare_prefect_plan(config, plan)
    # A worker that starts before its pool exists creates the pool with the stock template.
    worker = Worker(
        f"{prefix}-worker",
        work_pool_name=config.work_pool_name,
        image=worker_image,
        cpu=config.worker_cpu,
        memory=config.worker_memory,
        cluster_arn=cluster.arn,
        region=context.region,
        log_group=logs.name,
        secrets=secrets.container_secrets(),
        events_queue_name=events.queue_name,
        execution_role_arn=roles.worker_execution_role_arn,
        task_role_arn=roles.worker_task_role_arn,
        subnet_ids=network.subnet_ids,
        security_group_id=network.security_group_id,
        assign_public_ip=config.assign_public_ip,
        opts=pulumi.ResourceOptions.merge(
            tagged, pulumi.ResourceOptions(depends_on=[r for r in [declared.work_pool] if r])
        ),
    )
    alarm = WorkerAlarm(
        f"{prefix}-worker-health",
        cluster_name=cluster.name,
        service_name=worker.service_name,
        alert_email=config.alert_email,
        opts=tagged,
    )
    return {
        "image": image,
        "clusterName": cluster.name,
        "serviceName": worker.service_name,
        "logGroup": logs.name,
        "workPool": config.work_pool_name,
        "resultsLocation": storage.location,
        "resultsBlock": block_reference(results_block_spec(config, storage.bucket, storage.prefix)),
        "flowRunReads": [location.uri for location in reads],
        "workerTaskDefinition": worker.task_definition,
        "alertTopicArn": alarm.topic_arn,
        **declared.outputs(),
    }


def _declare_shared_city(config: StackConfig) -> dict[str, Any]:
    platform = reference_platform(config)  # fails when the platform cannot serve this city
    plan = shared_aws_plan(
        config,
        work_pool_name=platform.get("workPool"),
        results_block_ref=platform.get("resultsBlock"),
        image=platform.get("image"),
    )
    declared = declare_prefect_plan(config, plan)
    passed_through = (
        "image",
        "clusterName",
        "serviceName",
        "logGroup",
        "workPool",
        "resultsLocation",
        "resultsBlock",
    )
    return {
        "platformStack": platform.stack,
        **{key: platform.get(key) for key in passed_through},
        **declared.outputs(),
    }
