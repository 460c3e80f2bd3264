"""Prefect objects as Pulumi resources: a dynamic provider for work pools, blocks, deployments.

Importing this package has no side effects: no Prefect import, no client, no network.
"""

from infra.prefect.block import Block, block_ref
from infra.prefect.deployment import Deployment
from infra.prefect.work_pool import WorkPool

__all__ = ["Block", "Deployment", "WorkPool", "block_ref"]
