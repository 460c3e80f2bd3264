"""The `local` platform: no AWS resources; a process pool, a results block, the deployments."""

from __future__ import annotations

from typing import Any

from infra.config import StackConfig
from infra.prefect_plan import declare_prefect_plan
from infra.specs import local_plan


def declare_local_platform(config: StackConfig) -> dict[str, Any]:
    """Declare the local stack's Prefect resources and return its outputs."""
    declared = declare_prefect_plan(config, local_plan(config))
    return {
        "workPool": config.work_pool_name,
        "resultsLocation": config.results_uri,
        **declared.outputs(),
    }
