"""Turn a `PrefectPlan` (pure specs) into `infra.prefect` Pulumi resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def declare_prefect_plan(
    config: StackConfig, plan: PrefectPlan, opts: pulumi.ResourceOptions | None = None
) -> DeclaredPrefect:
    """Declare the plan's pool, block and deployments; deployments wait for pool and block."""
    prefix = stack_prefix(config)
    pool = WorkPool(f"{prefix}-pool", plan.work_pool, opts) if plan.work_pool else None
    block = Block(f"{prefix}-results", plan.results_block, opts) if plan.results_block else None
    depends = [r for r in (pool, block) if r is not None]
    deployments = [
        Deployment(
            f"{prefix}-{spec['flow_name']}",
            spec,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends)),
        )
        for spec in plan.deployments
    ]
    return DeclaredPrefect(pool, block, deployments)
