"""The ECS cluster the worker service and the flow-run tasks run in."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


class Cluster(pulumi.ComponentResource):
    """An ECS cluster with Container Insights (CPU/memory per task, for sizing flow runs)."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("covid-forecast:aws:Cluster", name, None, opts)
        cluster = aws.ecs.Cluster(
            name,
            name=name,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = cluster.name
        self.arn = cluster.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
