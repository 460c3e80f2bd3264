"""The stack's CloudWatch log group: worker logs and flow-run logs, with a retention."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.config import PROJECT, StackConfig

# awslogs stream prefix of the worker container (flow runs use Prefect's own prefix).
WORKER_STREAM_PREFIX = "worker"


def log_group_name(stack: str) -> str:
    """The log group of a stack, e.g. `/covid-forecast/madrid`."""
    return f"/{PROJECT}/{stack}"


class Logs(pulumi.ComponentResource):
    """One log group for the worker and its flow runs, kept `logRetentionDays` days."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("covid-forecast:aws:Logs", name, None, opts)
        group = aws.cloudwatch.LogGroup(
            name,
            name=log_group_name(config.stack),
            retention_in_days=config.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = group.name
        self.arn = group.arn
        self.register_outputs({"name": self.name})
