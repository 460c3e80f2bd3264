"""The four IAM roles of the platform, each with one inline policy from `infra.aws.iam`.

Two execution roles (the ECS agent starting the worker, and starting a flow run), each reading
only its own parameters and pulling only its own image; the worker's and the flow runs' task
roles. Execution roles trust ECS without conditions, task roles only for this account and
region (`infra.aws.iam` says why).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.aws.context import AwsContext
from infra.aws.iam import (
    Policy,
    ecs_execution_trust_policy,
    ecs_tasks_trust_policy,
    execution_role_policy,
    flow_run_task_role_policy,
    worker_task_role_policy,
)
from infra.aws.locations import S3Location


def _policy_json(build: Callable[..., Policy], **inputs: Any) -> pulumi.Output[str]:
    """`build(**resolved inputs)` as JSON, once every input (Output or plain) is known."""
    return pulumi.Output.all(**inputs).apply(lambda values: json.dumps(build(**values)))


class Roles(pulumi.ComponentResource):
    """Worker and flow-run execution roles, worker task role and flow-run task role."""

    worker_execution_role_arn: pulumi.Output[str]
    flow_run_execution_role_arn: pulumi.Output[str]
    worker_task_role_arn: pulumi.Output[str]
    flow_run_task_role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        context: AwsContext,
        cluster_name: pulumi.Input[str],
        work_pool_name: str,
        log_group_arn: pulumi.Input[str],
        worker_parameter_arns: Sequence[pulumi.Input[str]],
        flow_run_parameter_arns: Sequence[pulumi.Input[str]],
        worker_repository_arns: Sequence[pulumi.Input[str]],
        flow_run_repository_arns: Sequence[pulumi.Input[str]],
        events_queue_arn: pulumi.Input[str],
        reads: Sequence[S3Location],
        results_bucket: pulumi.Input[str],
        results_prefix: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("covid-forecast:aws:Roles", name, None, opts)
        task_trust = _policy_json(
            ecs_tasks_trust_policy,
            account_id=context.account_id,
            region=context.region,
            partition=context.partition,
        )
        execution_trust = pulumi.Output.from_input(json.dumps(ecs_execution_trust_policy()))
        worker_execution = self._role(
            f"{name}-worker-execution",
            execution_trust,
            _policy_json(
                execution_role_policy,
                log_group_arn=log_group_arn,
                parameter_arns=pulumi.Output.all(*worker_parameter_arns),
                repository_arns=pulumi.Output.all(*worker_repository_arns),
            ),
            "ECS agent starting the worker: its image, its logs, the Prefect URL and credential",
        )
        # The name the pool's `execution_role_arn` has always had: existing stacks keep it.
        execution = self._role(
            f"{name}-execution",
            execution_trust,
            _policy_json(
                execution_role_policy,
                log_group_arn=log_group_arn,
                parameter_arns=pulumi.Output.all(*flow_run_parameter_arns),
                repository_arns=pulumi.Output.all(*flow_run_repository_arns),
            ),
            "ECS agent starting flow runs: the flow image, their logs, the Prefect credential",
        )
        writes = pulumi.Output.from_input(results_bucket).apply(
            lambda bucket: [S3Location(bucket, f"{results_prefix}/" if results_prefix else "")]
        )
        flow_run = self._role(
            f"{name}-flow-run",
            task_trust,
            _policy_json(
                flow_run_task_role_policy,
                reads=list(reads),
                writes=writes,
                partition=context.partition,
            ),
            "Flow runs: read the model and data, write forecasts",
        )
        worker = self._role(
            f"{name}-worker",
            task_trust,
            _policy_json(
                worker_task_role_policy,
                partition=context.partition,
                region=context.region,
                account_id=context.account_id,
                cluster_name=cluster_name,
                work_pool_name=work_pool_name,
                passable_role_arns=pulumi.Output.all(execution.arn, flow_run.arn),
                log_group_arn=log_group_arn,
                events_queue_arn=events_queue_arn,
            ),
            "Prefect ECS worker: launch and watch flow runs in this stack's cluster",
        )
        self.worker_execution_role_arn = worker_execution.arn
        self.flow_run_execution_role_arn = execution.arn
        self.worker_task_role_arn = worker.arn
        self.flow_run_task_role_arn = flow_run.arn
        self.register_outputs(
            {
                "workerExecutionRoleArn": worker_execution.arn,
                "flowRunExecutionRoleArn": execution.arn,
                "workerTaskRoleArn": worker.arn,
                "flowRunTaskRoleArn": flow_run.arn,
            }
        )

    def _role(
        self, name: str, trust: pulumi.Output[str], policy: pulumi.Output[str], description: str
    ) -> aws.iam.Role:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(name, assume_role_policy=trust, description=description, opts=child)
        aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=child)
        return role
