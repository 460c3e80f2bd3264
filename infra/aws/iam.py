"""IAM policy documents, least privilege, as pure functions returning dicts.

Four roles run the platform:
- two **execution roles** (the ECS agent starting a task), one per kind of task, each allowed
  only what starting that task takes: pull its own image, write its logs, read its own SSM
  parameters. The worker's reads the Prefect URL and credential; the flow runs' reads only the
  credential (flow runs get the URL from the worker as plain environment) and pulls only the
  flow image's repository.
- the **worker task role** (the Prefect ECS worker): registers flow-run task definitions, runs,
  stops and describes tasks in this cluster only, passes only the two flow-run roles, reads
  flow-run log streams (crash forwarding) and consumes the ECS task-event queue.
- the **flow-run task role** (the flow itself): reads the model (and S3 data) prefixes, writes
  only the results prefix.

Trust: task roles trust `ecs-tasks.amazonaws.com` only for tasks of this account and region
(`aws:SourceArn` / `aws:SourceAccount`, the confused-deputy guard AWS documents for task
roles). Execution roles trust the service without conditions: AWS documents no such condition
for the task execution role, and one ECS did not satisfy would make every task fail with "ECS
was unable to assume the role".

`Resource: "*"` appears only for actions AWS authorises solely on `*`; they are listed, with
the reason, in `WILDCARD_RESOURCE_ACTIONS`, and tests hold every policy to that list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from infra.aws.locations import S3Location

ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"
EVENTS_SERVICE = "events.amazonaws.com"
# The ECS worker names the task definitions it registers `prefect_<pool>_<deployment id>`
# (prefect_aws.workers.ecs_worker, `_get_or_generate_family`); RunTask is scoped to them.
FLOW_RUN_FAMILY_PREFIX = "prefect_"
# The ECS worker's awslogs stream prefix for flow runs: `prefect-logs_<pool>_<deployment id>`
# (prefect_aws.workers.ecs_worker, when `cloudwatch_logs_prefix` is not set; the program
# does not set it). Streams are `<prefix>/<container>/<task id>`.
FLOW_RUN_LOG_STREAM_PREFIX = "prefect-logs_"

# Every action granted on `Resource: "*"`, and why no narrower resource works
# (AWS Service Authorization Reference: the action has no resource type).
WILDCARD_RESOURCE_ACTIONS: dict[str, str] = {
    "ecr:GetAuthorizationToken": "registry login token; the action has no resource type",
    "ecs:RegisterTaskDefinition": (
        "the worker registers one task definition per deployment; the action has no "
        "resource type (RunTask on those definitions is scoped to the pool's family prefix)"
    ),
    "ecs:DescribeTaskDefinition": (
        "the worker compares its cached task definition before reuse; no resource type"
    ),
    "ec2:DescribeVpcs": "the worker checks the configured VPC; EC2 Describe* has no resource type",
    "ec2:DescribeSubnets": "the worker checks the subnets belong to the VPC; no resource type",
}

Policy = dict[str, Any]
Statement = dict[str, Any]


def policy_document(statements: Iterable[Statement]) -> Policy:
    """An IAM policy document holding `statements`."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str] | str,
    condition: dict[str, Any] | None = None,
) -> Statement:
    """One Allow statement (actions sorted so documents diff cleanly)."""
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


def ecs_tasks_trust_policy(account_id: str, region: str, partition: str = "aws") -> Policy:
    """Task roles: trust ECS tasks of this account and region only (confused-deputy guard)."""
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": ECS_TASKS_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account_id}:*"},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        ]
    )


def ecs_execution_trust_policy() -> Policy:
    """Execution roles: the trust policy AWS documents for the task execution role, as is."""
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": ECS_TASKS_SERVICE},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def log_streams_arn(log_group_arn: str) -> str:
    """ARN pattern of the log group and its streams (`...:log-group:<name>:*`)."""
    return f"{log_group_arn.removesuffix(':*')}:*"


def flow_run_log_streams_arn(log_group_arn: str, work_pool_name: str) -> str:
    """ARN pattern of the pool's flow-run log streams, and no other stream of the group."""
    group = log_group_arn.removesuffix(":*")
    return f"{group}:log-stream:{FLOW_RUN_LOG_STREAM_PREFIX}{work_pool_name}_*"


def execution_role_policy(
    *,
    log_group_arn: str,
    parameter_arns: Sequence[str],
    repository_arns: Sequence[str] = (),
) -> Policy:
    """An execution role: pull from `repository_arns`, write logs, read `parameter_arns`.

    One per kind of task (worker, flow runs), each given only its own image's repository and
    its own parameters. `repository_arns` is empty when the image is not in ECR (nothing to
    pull with IAM); `parameter_arns` empty when that task needs no parameter.
    """
    statements = []
    if repository_arns:
        statements += [
            allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
            allow(
                "PullImage",
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                repository_arns,
            ),
        ]
    statements.append(
        allow(
            "WriteTaskLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [log_streams_arn(log_group_arn)],
        )
    )
    if parameter_arns:
        # SecureStrings under the AWS-managed key need no kms:Decrypt grant.
        statements.append(allow("ReadPrefectParameters", ["ssm:GetParameters"], parameter_arns))
    return policy_document(statements)


def worker_task_role_policy(
    *,
    partition: str,
    region: str,
    account_id: str,
    cluster_name: str,
    work_pool_name: str,
    passable_role_arns: Sequence[str],
    log_group_arn: str,
    events_queue_arn: str,
) -> Policy:
    """The Prefect ECS worker's role: launch and watch flow runs in one cluster, nothing else."""
    ecs = f"arn:{partition}:ecs:{region}:{account_id}"
    cluster_arn = f"{ecs}:cluster/{cluster_name}"
    in_cluster = {"ArnEquals": {"ecs:cluster": cluster_arn}}
    flow_run_tasks = f"{ecs}:task/{cluster_name}/*"
    return policy_document(
        [
            allow(
                "FlowRunTaskDefinitions",
                ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
                "*",
            ),
            allow(
                "RunFlowRunsInCluster",
                ["ecs:RunTask"],
                [f"{ecs}:task-definition/{FLOW_RUN_FAMILY_PREFIX}{work_pool_name}_*:*"],
                in_cluster,
            ),
            allow(
                "WatchAndStopFlowRuns",
                ["ecs:DescribeTasks", "ecs:StopTask"],
                [flow_run_tasks],
                in_cluster,
            ),
            # RunTask tags each task with its flow run id; the observer matches events by tag.
            allow(
                "TagFlowRunsAtLaunch",
                ["ecs:TagResource"],
                [flow_run_tasks],
                {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            ),
            allow(
                "PassFlowRunRoles",
                ["iam:PassRole"],
                list(passable_role_arns),
                {"StringEquals": {"iam:PassedToService": ECS_TASKS_SERVICE}},
            ),
            allow("CheckFlowRunNetwork", ["ec2:DescribeSubnets", "ec2:DescribeVpcs"], "*"),
            # The observer forwards a crashed flow run's last log lines to Prefect: flow-run
            # streams only, never the worker's own.
            allow(
                "ReadFlowRunLogs",
                ["logs:GetLogEvents"],
                [flow_run_log_streams_arn(log_group_arn, work_pool_name)],
            ),
            # What the observer's SQS subscriber calls (prefect_aws.observers.ecs); it never
            # reads queue attributes.
            allow(
                "ConsumeTaskEvents",
                [
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                ],
                [events_queue_arn],
            ),
        ]
    )


def flow_run_task_role_policy(
    *, reads: Sequence[S3Location], writes: Sequence[S3Location], partition: str = "aws"
) -> Policy:
    """The flow's role: list and read `reads`, write objects only under `writes`.

    Listing matters even for plain reads: without `s3:ListBucket` S3 answers 403 instead of
    404 for a missing key, and the flow's look-back over missing daily reports would fail.
    """
    statements = []
    for index, location in enumerate(reads):
        statements.append(
            allow(f"ReadObjects{index}", ["s3:GetObject"], [location.objects_arn(partition)])
        )
        condition = (
            {"StringLike": {"s3:prefix": location.list_prefixes()}} if location.key_prefix else None
        )
        statements.append(
            allow(f"List{index}", ["s3:ListBucket"], [location.bucket_arn(partition)], condition)
        )
    for index, location in enumerate(writes):
        statements.append(
            allow(f"WriteResults{index}", ["s3:PutObject"], [location.objects_arn(partition)])
        )
    return policy_document(statements)


def events_queue_policy(*, queue_arn: str, rule_arn: str) -> Policy:
    """Resource policy letting exactly one EventBridge rule deliver to the events queue."""
    return policy_document(
        [
            {
                "Sid": "EcsTaskEventsFromRule",
                "Effect": "Allow",
                "Principal": {"Service": EVENTS_SERVICE},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ]
    )


def statements_of(policy: Policy) -> list[Statement]:
    """The statements of a policy document."""
    statements = policy["Statement"]
    return [statements] if isinstance(statements, dict) else list(statements)


def as_list(value: str | Sequence[str]) -> list[str]:
    """An Action/Resource element as a list."""
    return [value] if isinstance(value, str) else list(value)


def wildcard_resource_actions(policy: Policy) -> set[str]:
    """Actions the policy grants on `Resource: "*"`."""
    return {
        action
        for statement in statements_of(policy)
        if "*" in as_list(statement.get("Resource", []))
        for action in as_list(statement["Action"])
    }
