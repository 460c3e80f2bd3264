"""Read and write bytes at a URI: s3:// (through s3fs), file:// or a local path, or a Prefect block.

Writes replace whatever is at the key (S3 PUT; an atomic rename locally), so re-running a flow
with the same inputs overwrites its output instead of duplicating it.
"""

from __future__ import annotations

import inspect
import os
import tempfile
from pathlib import Path
from typing import Any

import fsspec
from prefect.blocks.core import Block
from prefect.filesystems import WritableFileSystem
from prefect.utilities.asyncutils import run_coro_as_sync

from flow.results import check_block_ref


def is_local(uri: str) -> bool:
    """True for a plain path or a file:// URI."""
    return "://" not in uri or uri.startswith("file://")


def local_path(uri: str) -> Path:
    """The filesystem path of a plain path or file:// URI."""
    return Path(uri.removeprefix("file://"))


def join_uri(base: str, key: str) -> str:
    """`key` (slash-separated, relative) under `base` (a URI or a directory)."""
    return f"{base.rstrip('/')}/{key.lstrip('/')}"


def read_bytes(uri: str) -> bytes:
    """The content at `uri`; raises FileNotFoundError when nothing is there."""
    if is_local(uri):
        return local_path(uri).read_bytes()
    with fsspec.open(uri, "rb") as handle:
        content: bytes = handle.read()
    return content


def write_bytes(uri: str, content: bytes) -> str:
    """Write `content` at `uri`, replacing what was there; returns where it went."""
    if not is_local(uri):
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


def write_to_block(block_ref: str, key: str, content: bytes) -> str:
    """Write `content` at `key` through the saved Prefect block `"<type-slug>/<name>"`.

    The block must be a writable filesystem (`s3-bucket`, `local-file-system`, ...). Returns
    the written location (an s3:// URI for S3 buckets).
    """
    check_block_ref(block_ref)
    block: Any = Block.load(block_ref)
    if not isinstance(block, WritableFileSystem):
        raise TypeError(
            f"results_block {block_ref!r} is a {type(block).__name__}, which cannot write files;"
            " use an s3-bucket or local-file-system block"
        )
    written = block.write_path(key, content)
    if inspect.isawaitable(written):
        written = run_coro_as_sync(written)
    bucket = getattr(block, "bucket_name", None)
    return f"s3://{bucket}/{written}" if bucket else str(written)
