"""S3 locations as IAM sees them: a bucket and a key prefix.

Pure functions. The flow reads its model (and possibly its data) from S3 and writes forecasts
to S3; the flow-run role is scoped to exactly these prefixes, and a shared-mode city stack is
checked against the prefixes its platform's role can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from infra.config import StackConfig


@dataclass(frozen=True)
class S3Location:
    """Objects of `bucket` whose keys start with `key_prefix` ("" = the whole bucket)."""

    bucket: str
    key_prefix: str = ""

    @property
    def uri(self) -> str:
        """`s3://<bucket>/<key prefix>`, exactly (`prefix_location` parses it back)."""
        return f"s3://{self.bucket}/{self.key_prefix}"

    def bucket_arn(self, partition: str = "aws") -> str:
        """ARN of the bucket (for `s3:ListBucket`)."""
        return f"arn:{partition}:s3:::{self.bucket}"

    def objects_arn(self, partition: str = "aws") -> str:
        """ARN pattern of the objects under the prefix (for object actions)."""
        return f"arn:{partition}:s3:::{self.bucket}/{self.key_prefix}*"

    def list_prefixes(self) -> list[str]:
        """`s3:prefix` values a listing of this location may use.

        A folder prefix keeps its trailing `/` (`artifacts/`, `artifacts/*`): without it
        (`artifacts`), a listing could also reveal sibling keys such as `artifacts-old/...`.
        """
        prefixes = [f"{self.key_prefix}*"]
        if self.key_prefix.endswith("/"):
            prefixes.insert(0, self.key_prefix)
        return prefixes

    def covers(self, other: S3Location) -> bool:
        """True when every object of `other` is also an object of this location."""
        return self.bucket == other.bucket and other.key_prefix.startswith(self.key_prefix)


def folder_location(uri: str) -> S3Location:
    """The objects under a folder URI: `s3://b/artifacts` -> bucket `b`, prefix `artifacts/`."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"{uri!r} is not an s3://<bucket>[/<prefix>] URI")
    path = parsed.path.strip("/")
    return S3Location(parsed.netloc, f"{path}/" if path else "")


def prefix_location(uri: str) -> S3Location:
    """Parse `S3Location.uri`: the path is the literal key prefix (`s3://b/jhu/daily-`)."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"{uri!r} is not an s3://<bucket>[/<key prefix>] URI")
    return S3Location(parsed.netloc, parsed.path.lstrip("/"))


def template_location(template: str) -> S3Location:
    """The objects a URL template can name: the literal key prefix before its first field.

    `s3://b/jhu/{date:%m-%d-%Y}.csv` -> bucket `b`, prefix `jhu/`.
    """
    return prefix_location(template.split("{", 1)[0])


def flow_run_reads(config: StackConfig) -> list[S3Location]:
    """The S3 locations a flow run of this stack reads: model artifacts and S3 data, if any.

    A model resolved only through `mlflowTrackingUri` is served by the tracking server, so it
    needs no S3 permission here.
    """
    reads = []
    if config.model_artifacts_uri and config.model_artifacts_uri.startswith("s3://"):
        reads.append(folder_location(config.model_artifacts_uri))
    if config.data_url.startswith("s3://"):
        reads.append(template_location(config.data_url))
    return reads
