"""Listing files and matching glob patterns (the MLflow artifact-root search): S3 through boto3
(moto in server mode) gives exactly the matches the same patterns give on a local disk."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest

from flow.storage import glob_match, list_files
from tests.servers import MotoS3

# An artifact root holding both MLflow layouts, a decoy per rule a glob must keep.
KEYS = (
    "1/0123/artifacts/model/MLmodel",
    "1/models/m-7589/artifacts/MLmodel",
    "1/models/m-7589/artifacts/model.json",
    "2/models/m-1111/artifacts/MLmodel",
    # One segment deeper: `*` must not cross a slash.
    "1/extra/models/m-2222/artifacts/MLmodel",
    # Not `m-*`.
    "1/models/x-3333/artifacts/MLmodel",
    # A name that only starts like the file.
    "2/models/m-4444/artifacts/MLmodel.bak",
)
PATTERNS = (
    "*/models/m-*/artifacts/MLmodel",
    "1/0123/artifacts/model/MLmodel",
    "*/0123/artifacts/model/MLmodel",
    "*/models/m-[0-9]*/artifacts/MLmodel",
    "9/*/MLmodel",
)


def glob_uris(pattern: str, root: str) -> list[str]:
    """The files under `root` that `pattern` (relative to it) matches, as model_store finds them."""
    return [uri for uri in list_files(root) if glob_match(f"{root}/{pattern}", uri)]


@pytest.fixture(scope="module")
def roots(moto_s3: MotoS3, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The same objects in a fresh bucket (its s3:// root) and in a local folder."""
    bucket = f"listing-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=moto_s3.endpoint_url)
    s3.create_bucket(Bucket=bucket)
    local = tmp_path_factory.mktemp("artifacts")
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=f"artifacts/{key}", Body=b"x")
        (local / key).parent.mkdir(parents=True, exist_ok=True)
        (local / key).write_bytes(b"x")
    return f"s3://{bucket}/artifacts", local


@pytest.mark.parametrize("pattern", PATTERNS)
def test_s3_and_local_folders_match_the_same_objects(roots: tuple[str, Path], pattern: str) -> None:
    s3_root, local = roots
    on_s3 = glob_uris(pattern, s3_root)
    on_disk = glob_uris(pattern, str(local))
    assert [uri.removeprefix(f"{s3_root}/") for uri in on_s3] == [
        str(Path(path).relative_to(local)) for path in on_disk
    ]


def test_matches_keep_segments_and_come_back_sorted_in_the_roots_form(
    roots: tuple[str, Path],
) -> None:
    s3_root, local = roots
    assert glob_uris("*/models/m-*/artifacts/MLmodel", s3_root) == [
        f"{s3_root}/1/models/m-7589/artifacts/MLmodel",
        f"{s3_root}/2/models/m-1111/artifacts/MLmodel",
    ]
    assert glob_uris("1/*/artifacts/model/MLmodel", local.as_uri()) == [
        f"{local.as_uri()}/1/0123/artifacts/model/MLmodel"
    ]
    assert glob_uris("9/*/MLmodel", s3_root) == []
