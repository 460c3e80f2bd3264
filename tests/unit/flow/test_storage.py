"""Writing results locally: overwrite, never duplicate or leave partial files."""

from __future__ import annotations

from pathlib import Path

import pytest

from flow.storage import join_uri, read_bytes, write_bytes


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
