"""Turn a `PrefectPlan` (pure specs) into `infra.prefect` Pulumi resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from infra.config import StackConfig
from infra.prefect import Block, Deployment, WorkPool
from infra.specs import PrefectPlan, stack_prefix


@dataclass
class DeclaredPrefect:
    """The Prefect resources one stack declared."""

    work_pool: WorkPool | None
    results_block: Block | None
    deployments: list[Deployment] = field(default_factory=list)

    def outputs(self) -> dict[str, Any]:
        """Stack outputs: the forecast deployment's name, id and UI URL (and monitor's)."""
        outputs: dict[str, Any] = {}
        for deployment, prefix in zip(
            self.deployments, ("deployment", "monitorDeployment"), strict=False
        ):
            outputs[f"{prefix}Id"] = deployment.id
            outputs[f"{prefix}Url"] = deployment.url
            outputs[f"{prefix}Name"] = pulumi.Output.concat(
                deployment.flow_name, "/", deployment.name
            )
        return outputs


@dataclass(frozen=True)
class PlannedResource:
    """One Prefect object of a plan: its kind, Pulumi resource name and inputs."""

    kind: Literal["WorkPool", "Block", "Deployment"]
    name: str
    props: dict[str, Any]


def planned_resources(config: StackConfig, plan: PrefectPlan) -> list[PlannedResource]:
    """The plan as named resources, in dependency order (pool, block, then deployments).

    The Pulumi program and the local runner both name resources through this function, so a
    stack's objects have the same names whichever applied them.
    """
    prefix = stack_prefix(config)
    planned = []
    if plan.work_pool:
        planned.append(PlannedResource("WorkPool", f"{prefix}-pool", plan.work_pool))
    if plan.results_block:
        planned.append(PlannedResource("Block", f"{prefix}-results", plan.results_block))
    planned += [
        PlannedResource("Deployment", f"{prefix}-{spec['flow_name']}", spec)
        for spec in plan.deployments
    ]
    return planned


def declare_prefect_plan(
    config: StackConfig, plan: PrefectPlan, opts: pulumi.ResourceOptions | None = None
) -> DeclaredPrefect:
    """Declare the plan's pool, block and deployments; deployments wait for pool and block."""
    declared = DeclaredPrefect(work_pool=None, results_block=None)
    for resource in planned_resources(config, plan):
        if resource.kind == "WorkPool":
            declared.work_pool = WorkPool(resource.name, resource.props, opts)
        elif resource.kind == "Block":
            declared.results_block = Block(resource.name, resource.props, opts)
        else:
            depends = [r for r in (declared.work_pool, declared.results_block) if r is not None]
            options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends))
            declared.deployments.append(Deployment(resource.name, resource.props, options))
    return declared
