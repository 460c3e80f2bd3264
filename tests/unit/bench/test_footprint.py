"""The footprint benchmark's pure parts: requirement files, closures, payloads, its report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.footprint import (
    FLOW_REQUIREMENTS,
    INSTALLS,
    WORKER_REQUIREMENTS,
    closure,
    distribution_sizes,
    payload_of,
    requirements,
    run_with_peak_rss,
)
from infra.config import PROJECT_DIR


def test_each_image_is_measured_with_exactly_what_its_dockerfile_target_installs() -> None:
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    assert "pip install --no-cache-dir -r requirements-flow.txt" in dockerfile
    assert INSTALLS["flow"] == ["-r", str(FLOW_REQUIREMENTS)]
    worker = " ".join(INSTALLS["worker"]).replace(str(PROJECT_DIR), "/tmp/requirements")
    assert worker in " ".join(dockerfile.split())


def test_the_worker_closure_holds_prefect_aws_and_none_of_the_tools() -> None:
    names = closure(requirements(WORKER_REQUIREMENTS))
    assert {"prefect", "prefect-aws", "boto3", "sqlalchemy"} <= names
    assert not {"pytest", "moto", "mlflow", "pulumi", "scikit-learn"} & names


def test_requirement_files_with_includes_are_read_without_them() -> None:
    dev = {r.name for r in requirements(PROJECT_DIR / "requirements-dev.txt")}
    assert {"pytest", "moto", "mlflow"} <= dev
    assert "prefect" not in dev  # it comes through `-r requirements.txt`


def test_payload_leaves_out_the_bootstrap_and_names_the_unwanted() -> None:
    sizes = {"pip": 14, "setuptools": 8, "pandas": 80, "numpy": 71, "scipy": 143, "six": 1}
    payload = payload_of(sizes)
    assert payload["bytes"] == 80 + 71 + 143 + 1
    assert payload["distributions"] == 4
    assert payload["largest"][:2] == [["scipy", 143], ["pandas", 80]]
    assert payload["unwanted"] == ["scipy"]


def test_distribution_sizes_come_from_the_environment_measured() -> None:
    sizes = distribution_sizes(Path(sys.executable))
    assert sizes["pulumi"] > 1_000_000  # this .venv has the program's packages
    assert all(name == name.lower() for name in sizes)


def test_peak_rss_is_the_commands_own_not_this_processs(tmp_path: Path) -> None:
    # 200 MB held by the command: its peak is that plus an interpreter, however much this
    # (pytest) process holds; a child forked from it directly would report this process's RSS.
    ballast = bytearray(300_000_000)
    code, peak = run_with_peak_rss(
        [sys.executable, "-c", "b = bytearray(200_000_000); import sys; sys.exit(3)"],
        dict(os.environ),
        tmp_path / "log",
    )
    assert code == 3
    assert 200_000_000 <= peak < 260_000_000
    assert len(ballast) == 300_000_000
