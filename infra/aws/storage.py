"""Where forecasts go: a results bucket the stack creates, or an existing `resultsUri`."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
from pulumi_aws.s3 import (
    BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs as SseArgs,
)

from infra.aws.locations import folder_location
from infra.config import StackConfig


class ResultsStorage(pulumi.ComponentResource):
    """The results location; creates a private, versioned, encrypted bucket unless configured.

    `bucket` and `prefix` feed the `s3-bucket` results block; `prefix` ("" for a created
    bucket) is also what the flow-run role may write under.
    """

    bucket: pulumi.Output[str]
    prefix: str
    location: pulumi.Output[str]

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("covid-forecast:aws:ResultsStorage", name, None, opts)
        if config.results_uri:
            existing = folder_location(config.results_uri)
            self.bucket = pulumi.Output.from_input(existing.bucket)
            self.prefix = existing.key_prefix.rstrip("/")
        else:
            self.bucket = self._create_bucket(name, config.results_force_destroy)
            self.prefix = ""
        self.location = self.bucket.apply(lambda bucket: f"s3://{bucket}/{self.prefix}".rstrip("/"))
        self.register_outputs({"location": self.location})

    def _create_bucket(self, name: str, force_destroy: bool) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(name, force_destroy=force_destroy, opts=child)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # Forecast keys are overwritten on re-runs; versions keep what was overwritten.
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=SseArgs(sse_algorithm="AES256")
                )
            ],
            opts=child,
        )
        return bucket.bucket
