"""Turn a `PrefectPlan` (pure specs) into `infra.prefect` Pulumi resources."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from infra.config import PROJECT, StackConfig
from infra.prefect import Automation, Block, Deployment, WorkPool
from infra.specs import (
    PrefectPlan,
    Ref,
    Secret,
    alert_block_name,
    deployment_resource_name,
    stack_prefix,
)

Kind = Literal["WorkPool", "Block", "Deployment", "Automation"]
ALERTS_OFF = (
    f"off: no alertWebhookUrl; set one with `pulumi config set --secret "
    f"{PROJECT}:alertWebhookUrl <url>` to be told when a forecast fails"
)


@dataclass
class DeclaredPrefect:
    """The Prefect resources one stack declared."""

    work_pool: WorkPool | None
    results_block: Block | None
    deployments: list[Deployment] = field(default_factory=list)
    alert_block: Block | None = None
    automations: list[Automation] = field(default_factory=list)

    def outputs(self) -> dict[str, Any]:
        """Stack outputs: the forecast deployment's name, id and UI URL (and monitor's), where
        alerts go (or that they are off) and the automations' names."""
        outputs: dict[str, Any] = {}
        for deployment, prefix in zip(
            self.deployments, ("deployment", "monitorDeployment"), strict=False
        ):
            outputs[f"{prefix}Id"] = deployment.id
            outputs[f"{prefix}Url"] = deployment.url
            outputs[f"{prefix}Name"] = pulumi.Output.concat(
                deployment.flow_name, "/", deployment.name
            )
        if self.alert_block is not None:
            outputs["alerts"] = pulumi.Output.concat(
                "on: failed or crashed runs notify through block ",
                self.alert_block.type_slug,
                "/",
                self.alert_block.name,
            )
        else:
            outputs["alerts"] = ALERTS_OFF
        outputs["automations"] = [automation.name for automation in self.automations]
        return outputs


@dataclass(frozen=True)
class PlannedResource:
    """One Prefect object of a plan: its kind, Pulumi resource name and inputs.

    `props` may hold `Ref`s (ids of resources planned before it) and `Secret`s; each applier
    resolves them its own way (`resolve_props`).
    """

    kind: Kind
    name: str
    props: dict[str, Any]


def planned_resources(config: StackConfig, plan: PrefectPlan) -> list[PlannedResource]:
    """The plan as named resources, in dependency order (pool, blocks, deployments, then the
    automations that reference them).

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
        PlannedResource("Deployment", deployment_resource_name(config, spec["flow_name"]), spec)
        for spec in plan.deployments
    ]
    if plan.alert_block:
        planned.append(PlannedResource("Block", alert_block_name(config), plan.alert_block))
    planned += [PlannedResource("Automation", spec["name"], spec) for spec in plan.automations]
    return planned


def resolve_props(value: Any, ref: Callable[[Ref], Any], secret: Callable[[Secret], Any]) -> Any:
    """`value` with every `Ref` and `Secret` inside replaced by what `ref` / `secret` make."""
    if isinstance(value, Ref):
        return ref(value)
    if isinstance(value, Secret):
        return secret(value)
    if isinstance(value, Mapping):
        return {key: resolve_props(item, ref, secret) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [resolve_props(item, ref, secret) for item in value]
    return value


def declare_prefect_plan(
    config: StackConfig, plan: PrefectPlan, opts: pulumi.ResourceOptions | None = None
) -> DeclaredPrefect:
    """Declare the plan's resources; deployments wait for pool and results block, automations
    for what they reference (through the ids they use). Secrets become Pulumi secrets."""
    declared = DeclaredPrefect(work_pool=None, results_block=None)
    by_name: dict[str, pulumi.CustomResource] = {}

    def ref(reference: Ref) -> pulumi.Output[str]:
        return pulumi.Output.concat(reference.prefix, by_name[reference.resource].id)

    def secret(value: Secret) -> pulumi.Output[str]:
        return pulumi.Output.secret(value.value)

    for resource in planned_resources(config, plan):
        props = resolve_props(resource.props, ref, secret)
        declared_resource: pulumi.CustomResource
        if resource.kind == "WorkPool":
            declared.work_pool = declared_resource = WorkPool(resource.name, props, opts)
        elif resource.kind == "Block" and resource.props is plan.alert_block:
            declared.alert_block = declared_resource = Block(resource.name, props, opts)
        elif resource.kind == "Block":
            declared.results_block = declared_resource = Block(resource.name, props, opts)
        elif resource.kind == "Deployment":
            depends = [r for r in (declared.work_pool, declared.results_block) if r is not None]
            options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends))
            declared_resource = Deployment(resource.name, props, options)
            declared.deployments.append(declared_resource)
        else:
            declared_resource = Automation(resource.name, props, opts)
            declared.automations.append(declared_resource)
        by_name[resource.name] = declared_resource
    return declared
