"""Read and write bytes at a URI (s3://, file://, a local path) or through a saved Prefect block.

S3 goes through boto3 (endpoint, region and credentials from the usual AWS environment, e.g. the
Fargate task role or `AWS_ENDPOINT_URL_S3`), listings included (`list_files`), so the flow image
needs no s3fs; other URL schemes through fsspec. A results block
is read as a block *document* through the Prefect API and written here: the flow image has
prefect-client without prefect-aws, so the `s3-bucket` block class is not there to load
(`Block.load` would fail with `UnknownBlockType`).

Writes replace whatever is at the key (S3 PUT; an atomic rename locally), so re-running a flow
with the same inputs overwrites its output instead of duplicating it.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import posixpath
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flow.results import check_block_ref

S3_BUCKET_BLOCK = "s3-bucket"
LOCAL_FILE_SYSTEM_BLOCK = "local-file-system"
RESULTS_BLOCK_TYPES = (S3_BUCKET_BLOCK, LOCAL_FILE_SYSTEM_BLOCK)
# `aws-credentials` fields boto3 takes as they are (prefect-aws' AwsCredentials names).
_SESSION_FIELDS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "profile_name",
    "region_name",
)
# `aws_client_parameters` fields boto3's client takes as they are.
_CLIENT_FIELDS = ("endpoint_url", "use_ssl", "verify", "api_version")
# The environment a boto3 client reads when it is built: a change means a new client.
_CLIENT_ENVIRONMENT = (
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


@dataclass(frozen=True)
class S3Object:
    """Where an S3 write goes, and how to build the boto3 client that makes it."""

    bucket: str
    key: str
    # boto3.Session(**session); only what the block sets, the AWS environment supplies the rest.
    session: dict[str, Any] = field(default_factory=dict)
    # session.client("s3", **client)
    client: dict[str, Any] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        """`s3://bucket/key`."""
        return f"s3://{self.bucket}/{self.key}"


def is_local(uri: str) -> bool:
    """True for a plain path or a file:// URI."""
    return "://" not in uri or uri.startswith("file://")


def local_path(uri: str) -> Path:
    """The filesystem path of a plain path or file:// URI."""
    return Path(uri.removeprefix("file://"))


def join_uri(base: str, key: str) -> str:
    """`key` (slash-separated, relative) under `base` (a URI or a directory)."""
    return f"{base.rstrip('/')}/{key.lstrip('/')}"


def s3_object(uri: str) -> S3Object:
    """The bucket and key of an `s3://bucket/key` URI."""
    parts = urlsplit(uri)
    key = parts.path.lstrip("/")
    if parts.scheme != "s3" or not parts.netloc or not key:
        raise ValueError(f"{uri!r} is not an S3 object URI; expected s3://<bucket>/<key>")
    return S3Object(parts.netloc, key)


def _s3_client(target: S3Object) -> Any:
    # Building a client loads botocore's service model (hundreds of ms): one per configuration.
    environment = tuple(os.environ.get(name) for name in _CLIENT_ENVIRONMENT)
    return _cached_s3_client(
        tuple(sorted(target.session.items())), tuple(sorted(target.client.items())), environment
    )


@functools.lru_cache(maxsize=8)
def _cached_s3_client(
    session: tuple[tuple[str, Any], ...],
    client: tuple[tuple[str, Any], ...],
    environment: tuple[str | None, ...],
) -> Any:
    import boto3

    return boto3.session.Session(**dict(session)).client("s3", **dict(client))


def _is_missing(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code")) in {"NoSuchKey", "404", "NoSuchBucket"}


def read_bytes(uri: str) -> bytes:
    """The content at `uri`; raises FileNotFoundError when nothing is there."""
    if is_local(uri):
        return local_path(uri).read_bytes()
    if uri.startswith("s3://"):
        return read_s3(s3_object(uri))
    import fsspec

    with fsspec.open(uri, "rb") as handle:
        content: bytes = handle.read()
    return content


def list_files(root: str) -> list[str]:
    """Every file under `root` (a local path, file:// or s3:// URI, a bucket's root included),
    at any depth, sorted, each as `root` joined with its relative path: in `root`'s own form."""
    if root.startswith("s3://"):
        parts = urlsplit(root)
        folder = parts.path.strip("/")
        prefix = f"{folder}/" if folder else ""
        pages = _s3_client(S3Object(parts.netloc, prefix)).get_paginator("list_objects_v2")
        relative = [
            str(item["Key"])[len(prefix) :]
            for page in pages.paginate(Bucket=parts.netloc, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
    else:
        base = local_path(root)
        relative = [path.relative_to(base).as_posix() for path in base.rglob("*") if path.is_file()]
    # S3 folder markers (keys ending in "/") are not files.
    return sorted(join_uri(root, name) for name in relative if name and not name.endswith("/"))


def glob_match(pattern: str, uri: str) -> bool:
    """Whether `uri` matches `pattern`, whose `*`, `?` and `[...]` match within one path
    segment, as a shell glob's do."""
    parts, wanted = uri.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        fnmatch.fnmatchcase(part, want) for part, want in zip(parts, wanted, strict=True)
    )


def read_s3(target: S3Object) -> bytes:
    """GET the target's content; raises FileNotFoundError when there is no such object."""
    try:
        response = _s3_client(target).get_object(Bucket=target.bucket, Key=target.key)
    except Exception as exc:
        if _is_missing(exc):
            raise FileNotFoundError(f"no object at {target.uri}") from exc
        raise
    content: bytes = response["Body"].read()
    return content


def write_s3(target: S3Object, content: bytes) -> str:
    """PUT `content` at the target (replacing it); returns its s3:// URI."""
    _s3_client(target).put_object(Bucket=target.bucket, Key=target.key, Body=content)
    return target.uri


def write_bytes(uri: str, content: bytes) -> str:
    """Write `content` at `uri`, replacing what was there; returns where it went."""
    if uri.startswith("s3://"):
        return write_s3(s3_object(uri), content)
    if not is_local(uri):
        import fsspec

        with fsspec.open(uri, "wb") as handle:
            handle.write(content)
        return uri
    path = local_path(uri).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a reader never sees half a file and a crash leaves the old one.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return str(path)


def s3_bucket_object(block_ref: str, data: Mapping[str, Any], key: str) -> S3Object:
    """Where an `s3-bucket` block document puts `key`: `<bucket_folder>/<key>` in its bucket.

    Honours the nested `aws-credentials` document (keys, profile, region, endpoint) the way
    prefect-aws' `S3Bucket.write_path` does; without one the AWS environment's credentials
    apply (the flow-run task role on ECS).
    """
    bucket = data.get("bucket_name")
    if not bucket:
        raise ValueError(f"results_block {block_ref!r} has no bucket_name; set it on the block")
    folder = str(data.get("bucket_folder") or "").strip("/")
    object_key = posixpath.join(folder, key.lstrip("/")) if folder else key.lstrip("/")
    credentials: Mapping[str, Any] = data.get("credentials") or {}
    kind = credentials.get("block_type_slug", "aws-credentials")
    if kind != "aws-credentials" or credentials.get("assume_role_arn"):
        raise ValueError(
            f"results_block {block_ref!r} uses {kind} credentials"
            f"{' with assume_role_arn' if credentials.get('assume_role_arn') else ''}, which"
            " the flow image cannot use; remove them and grant the flow-run task role S3 access,"
            " or give the block plain aws-credentials"
        )
    session = {f: credentials[f] for f in _SESSION_FIELDS if credentials.get(f) is not None}
    parameters: Mapping[str, Any] = credentials.get("aws_client_parameters") or {}
    client = {f: parameters[f] for f in _CLIENT_FIELDS if parameters.get(f) is not None}
    if parameters.get("verify_cert_path"):
        client["verify"] = parameters["verify_cert_path"]
    return S3Object(str(bucket), object_key, session, client)


def read_block_data(block_ref: str) -> dict[str, Any]:
    """The saved block document `"<type-slug>/<name>"`'s data (secrets included), via the API."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    type_slug, _, name = block_ref.partition("/")
    try:
        with get_client(sync_client=True) as client:
            document = client.read_block_document_by_name(
                name=name, block_type_slug=type_slug, include_secrets=True
            )
    except ObjectNotFound as exc:
        raise LookupError(
            f"results_block {block_ref!r} does not exist on the Prefect server; create it"
            f" (the stack's `pulumi up` does) or fix the deployment's results_block parameter"
        ) from exc
    return dict(document.data)


def _results_block(block_ref: str) -> tuple[str, dict[str, Any]]:
    """The block's type slug and document data, refusing a block that cannot hold results."""
    check_block_ref(block_ref)
    type_slug = block_ref.partition("/")[0]
    if type_slug not in RESULTS_BLOCK_TYPES:
        raise ValueError(
            f"results_block {block_ref!r} is a {type_slug} block; results go to an"
            f" {' or '.join(RESULTS_BLOCK_TYPES)} block"
        )
    return type_slug, read_block_data(block_ref)


def _basepath(block_ref: str, data: Mapping[str, Any]) -> str:
    basepath = data.get("basepath")
    if not basepath:
        raise ValueError(f"results_block {block_ref!r} has no basepath; set it on the block")
    return str(basepath)


def write_to_block(block_ref: str, key: str, content: bytes) -> str:
    """Write `content` at `key` in the saved results block `"<type-slug>/<name>"`.

    The block is an `s3-bucket` (written with boto3: an s3:// URI is returned) or a
    `local-file-system` (a path under its `basepath` is returned).
    """
    type_slug, data = _results_block(block_ref)
    if type_slug == S3_BUCKET_BLOCK:
        return write_s3(s3_bucket_object(block_ref, data, key), content)
    return write_bytes(join_uri(_basepath(block_ref, data), key), content)


def read_from_block(block_ref: str, key: str) -> bytes:
    """The content `write_to_block` wrote at `key`; FileNotFoundError when there is none."""
    type_slug, data = _results_block(block_ref)
    if type_slug == S3_BUCKET_BLOCK:
        return read_s3(s3_bucket_object(block_ref, data, key))
    return read_bytes(join_uri(_basepath(block_ref, data), key))
