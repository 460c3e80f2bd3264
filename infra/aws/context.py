"""Where the stack deploys: account, region and partition, from the provider's credentials."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    """The account, region and partition the AWS provider targets."""

    account_id: pulumi.Output[str]
    region: pulumi.Output[str]
    partition: pulumi.Output[str]


def current_context() -> AwsContext:
    """Look up the caller's account, region and partition (three read-only invokes)."""
    return AwsContext(
        account_id=aws.get_caller_identity_output().account_id,
        region=aws.get_region_output().region,
        partition=aws.get_partition_output().partition,
    )
