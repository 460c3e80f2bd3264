"""ECS task-state events of the cluster, queued for the worker's observer.

prefect-aws' ECS worker hands a flow run's fate to its observer once the task is launched: the
observer reads ECS "Task State Change" events from an SQS queue and marks runs whose container
died as Crashed (forwarding their last log lines). Without the queue a run whose task is killed
(out of memory, image pull failure) would stay Running forever. This is the same wiring as
prefect-aws' own `ecs-worker deploy-events` template, scoped to this stack's cluster.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.aws.iam import events_queue_policy

# How long a failed event waits in the dead-letter queue for a human (14 days, the maximum).
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# The observer extends visibility every 240 s while it handles an event (prefect-aws).
VISIBILITY_TIMEOUT_SECONDS = 300


def task_state_event_pattern(cluster_arn: str) -> dict[str, Any]:
    """EventBridge pattern: task state changes of one cluster."""
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {"clusterArn": [cluster_arn]},
    }


class TaskEvents(pulumi.ComponentResource):
    """SQS queue (+ dead-letter queue) fed by an EventBridge rule on the cluster's tasks."""

    queue_name: pulumi.Output[str]
    queue_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        cluster_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("covid-forecast:aws:TaskEvents", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        dead_letters = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{name}-dlq",
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        queue = aws.sqs.Queue(
            name,
            name=name,
            visibility_timeout_seconds=VISIBILITY_TIMEOUT_SECONDS,
            sqs_managed_sse_enabled=True,
            redrive_policy=dead_letters.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})
            ),
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            description="ECS task state changes for the Prefect worker's observer",
            event_pattern=pulumi.Output.from_input(cluster_arn).apply(
                lambda arn: json.dumps(task_state_event_pattern(arn))
            ),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-policy",
            queue_url=queue.url,
            policy=pulumi.Output.all(queue.arn, rule.arn).apply(
                lambda arns: json.dumps(events_queue_policy(queue_arn=arns[0], rule_arn=arns[1]))
            ),
            opts=child,
        )
        aws.cloudwatch.EventTarget(f"{name}-target", rule=rule.name, arn=queue.arn, opts=child)
        self.queue_name = queue.name
        self.queue_arn = queue.arn
        self.register_outputs({"queueName": self.queue_name})
