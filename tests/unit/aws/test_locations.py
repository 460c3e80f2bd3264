"""S3 locations: what the flow reads and writes, as IAM and shared mode see it."""

from __future__ import annotations

import pytest

from infra.aws.locations import (
    S3Location,
    flow_run_reads,
    folder_location,
    prefix_location,
    template_location,
)
from infra.config import build_stack_config

BASE = {
    "platform": "aws",
    "city": "Madrid",
    "runId": "3f6c2b9a8d7e4f1a9b0c5d2e7f8a1b3c",
    "scheduleCron": "0 6 * * *",
    "scheduleTimezone": "UTC",
    "scheduleActive": "true",
    "workerCpu": 256,
    "workerMemory": 512,
    "flowCpu": 512,
    "flowMemory": 2048,
    "resultsForceDestroy": "false",
    "assignPublicIp": "true",
    "dataUrl": "https://example.org/{date:%m-%d-%Y}.csv",
    "logRetentionDays": 30,
    "imageKeepCount": 10,
    "deploymentsBranch": "main",
}


def config(**values: str) -> object:
    return build_stack_config(
        "madrid", {**BASE, **values}, {"apiUrl": "https://api.prefect.cloud/api"}
    )


def test_folder_uri_is_the_objects_under_the_folder() -> None:
    assert folder_location("s3://bucket/artifacts") == S3Location("bucket", "artifacts/")
    assert folder_location("s3://bucket/a/b/") == S3Location("bucket", "a/b/")
    assert folder_location("s3://bucket") == S3Location("bucket", "")


def test_template_location_is_the_literal_prefix_before_the_date() -> None:
    location = template_location("s3://jhu-copy/daily/report-{date:%m-%d-%Y}.csv")
    assert location == S3Location("jhu-copy", "daily/report-")
    assert location.objects_arn() == "arn:aws:s3:::jhu-copy/daily/report-*"
    assert location.list_prefixes() == ["daily/report-*"]


def test_uri_round_trips_through_prefix_location() -> None:
    for location in (S3Location("b", "jhu/daily-"), S3Location("b", "artifacts/"), S3Location("b")):
        assert prefix_location(location.uri) == location


def test_covers_is_prefix_containment_in_the_same_bucket() -> None:
    platform = S3Location("mlflow", "artifacts/")
    assert platform.covers(S3Location("mlflow", "artifacts/barcelona/"))
    assert not platform.covers(S3Location("mlflow", "other/"))
    assert not platform.covers(S3Location("elsewhere", "artifacts/"))
    assert S3Location("mlflow").covers(S3Location("mlflow", "anything/"))


def test_not_s3_is_rejected_with_the_uri() -> None:
    with pytest.raises(ValueError, match="'https://x/y'"):
        folder_location("https://x/y")


def test_flow_run_reads_the_model_artifacts_and_s3_data() -> None:
    reads = flow_run_reads(
        config(
            modelArtifactsUri="s3://mlflow/artifacts",
            dataUrl="s3://jhu-copy/daily/{date:%m-%d-%Y}.csv",
        )
    )
    assert reads == [S3Location("mlflow", "artifacts/"), S3Location("jhu-copy", "daily/")]


def test_a_tracking_server_and_https_data_need_no_s3_read() -> None:
    assert flow_run_reads(config(mlflowTrackingUri="https://mlflow.example.org")) == []
