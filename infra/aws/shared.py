"""Shared mode: what a platform stack exports and how a city stack reuses it.

Any self-contained aws stack is a platform: it exports `PLATFORM_OUTPUTS`. A city stack with
`platformStack` set reads them through a `StackReference` and declares only its deployments on
the platform's pool, with the platform's image and results block, so the n-th city adds no
always-on resource. Its flow runs use the platform's flow-run role, so everything the city
reads from S3 must be readable by that role (checked here, with the fix in the message).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from infra.aws.locations import S3Location, flow_run_reads, prefix_location
from infra.config import StackConfig

# Stack outputs a platform stack must export (every self-contained aws stack does).
PLATFORM_OUTPUTS: dict[str, str] = {
    "workPool": "Prefect work pool served by the platform's worker",
    "image": "digest-pinned flow image",
    "clusterName": "ECS cluster of the worker and the flow runs",
    "serviceName": "ECS service of the worker",
    "logGroup": "CloudWatch log group of the worker and the flow runs",
    "resultsLocation": "s3:// location forecasts are written to",
    "resultsBlock": "Prefect block reference (`s3-bucket/<name>`) of the results location",
    "flowRunReads": "s3:// locations the flow-run role may read (model, data)",
    "workerTaskDefinition": "the worker's task definition",
}


class PlatformStackError(ValueError):
    """The referenced platform stack cannot serve this city stack."""


def check_platform_outputs(
    platform_stack: str, outputs: Mapping[str, Any], reads: list[S3Location]
) -> dict[str, Any]:
    """The platform's outputs, if it exports everything and its role can read `reads`."""
    missing = sorted(set(PLATFORM_OUTPUTS) - set(outputs))
    if missing:
        raise PlatformStackError(
            f"platformStack {platform_stack!r} does not export {', '.join(missing)}: it must be "
            "a self-contained covid-forecast aws stack (platform aws, no platformStack) that "
            "has been deployed with `pulumi up`"
        )
    readable = [prefix_location(uri) for uri in outputs["flowRunReads"]]
    unreadable = [r.uri for r in reads if not any(p.covers(r) for p in readable)]
    if unreadable:
        raise PlatformStackError(
            f"the flow runs of platformStack {platform_stack!r} can read only "
            f"{', '.join(p.uri for p in readable) or 'no S3 location'}, not "
            f"{', '.join(unreadable)}: point modelArtifactsUri/dataUrl at the platform's "
            "locations, or deploy this city self-contained (unset platformStack)"
        )
    return dict(outputs)


@dataclass(frozen=True)
class SharedPlatform:
    """The platform stack's outputs, as this city stack sees them."""

    stack: str
    outputs: pulumi.Output[dict[str, Any]]

    def get(self, key: str) -> pulumi.Output[Any]:
        """One of `PLATFORM_OUTPUTS`."""
        return self.outputs.apply(lambda outputs: outputs[key])


def reference_platform(config: StackConfig) -> SharedPlatform:
    """Read the platform stack named by `platformStack` and check it can serve this city.

    Keys the platform decides were already refused by `infra.config` (before any resource).
    """
    if config.platform_stack is None:
        raise ValueError("reference_platform needs a stack with platformStack set")
    reference = pulumi.StackReference(config.platform_stack)
    reads = flow_run_reads(config)
    platform_stack = config.platform_stack
    outputs = reference.outputs.apply(
        lambda values: check_platform_outputs(platform_stack, values or {}, reads)
    )
    return SharedPlatform(platform_stack, outputs)
