"""Writing results: local overwrite without partial files; S3 targets of URIs and blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from flow.storage import (
    join_uri,
    read_bytes,
    s3_bucket_object,
    s3_object,
    write_bytes,
    write_to_block,
)

REF = "s3-bucket/covid-forecast-madrid-results"


def test_join_uri_handles_trailing_and_leading_slashes() -> None:
    assert join_uri("s3://bucket/prefix/", "/madrid/x.csv") == "s3://bucket/prefix/madrid/x.csv"
    assert join_uri("results", "madrid/x.csv") == "results/madrid/x.csv"


def test_write_creates_folders_and_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "results" / "madrid" / "2021-02-10" / "run.csv"
    assert write_bytes(str(target), b"first") == str(target)
    write_bytes(f"file://{target}", b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["run.csv"]


def test_read_of_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_bytes(str(tmp_path / "absent.csv"))


def test_s3_uris_name_bucket_and_key() -> None:
    target = s3_object("s3://results/forecasts/madrid/x.csv")
    assert (target.bucket, target.key) == ("results", "forecasts/madrid/x.csv")
    assert target.uri == "s3://results/forecasts/madrid/x.csv"


@pytest.mark.parametrize("bad", ["s3://results", "s3://results/", "s3:///key", "gs://b/k"])
def test_an_s3_uri_without_bucket_or_key_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="s3://<bucket>/<key>"):
        s3_object(bad)


def test_s3_bucket_block_puts_keys_under_its_folder_like_prefect_aws() -> None:
    data = {"bucket_name": "covid-results", "bucket_folder": "forecasts/"}
    target = s3_bucket_object(REF, data, "madrid/2021-02-10/run.csv")
    assert target.uri == "s3://covid-results/forecasts/madrid/2021-02-10/run.csv"
    # No credentials document: the AWS environment (the task role) supplies everything.
    assert (target.session, target.client) == ({}, {})
    unfoldered = s3_bucket_object(REF, {"bucket_name": "b", "bucket_folder": ""}, "/k.csv")
    assert unfoldered.uri == "s3://b/k.csv"


def test_s3_bucket_block_credentials_become_the_boto3_session_and_client() -> None:
    data = {
        "bucket_name": "b",
        "credentials": {
            "block_type_slug": "aws-credentials",
            "aws_access_key_id": "AKIDEXAMPLE",
            "aws_secret_access_key": "secret",
            "aws_session_token": None,
            "region_name": "eu-west-1",
            "assume_role_arn": None,
            "aws_client_parameters": {
                "endpoint_url": "http://127.0.0.1:9000",
                "use_ssl": True,
                "verify": None,
                "verify_cert_path": None,
            },
        },
    }
    target = s3_bucket_object(REF, data, "k.csv")
    assert target.session == {
        "aws_access_key_id": "AKIDEXAMPLE",
        "aws_secret_access_key": "secret",
        "region_name": "eu-west-1",
    }
    assert target.client == {"endpoint_url": "http://127.0.0.1:9000", "use_ssl": True}


@pytest.mark.parametrize(
    ("credentials", "named"),
    [
        ({"block_type_slug": "minio-credentials", "minio_root_user": "u"}, "minio-credentials"),
        ({"assume_role_arn": "arn:aws:iam::123456789012:role/r"}, "assume_role_arn"),
    ],
)
def test_credentials_the_flow_image_cannot_use_are_refused_by_name(
    credentials: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=named) as failure:
        s3_bucket_object(REF, {"bucket_name": "b", "credentials": credentials}, "k.csv")
    assert REF in str(failure.value)


def test_a_block_without_bucket_is_refused() -> None:
    with pytest.raises(ValueError, match="bucket_name"):
        s3_bucket_object(REF, {"bucket_folder": "x"}, "k.csv")


def test_only_s3_and_local_blocks_take_results_and_nothing_is_asked_of_the_api() -> None:
    # Refused before any Prefect request: PREFECT_API_URL may point nowhere here.
    with pytest.raises(ValueError, match="s3-bucket or local-file-system"):
        write_to_block("gcs-bucket/results", "k.csv", b"x")
