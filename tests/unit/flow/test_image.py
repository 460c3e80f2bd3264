"""The flow image's contract with the deployment, and the flow package's import boundary."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# The deployment's pull step runs `set_working_directory` here and loads flow/flows.py from it.
IMAGE_WORKDIR = "/opt/prefect/covid-forecast"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1].strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_base_image_is_pinned_to_a_patch_release() -> None:
    base = next(arg for op, arg in instructions() if op == "FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base


def test_code_lands_where_the_pull_step_looks_for_flow_flows_py() -> None:
    ops = instructions()
    assert [arg for op, arg in ops if op == "WORKDIR"] == [IMAGE_WORKDIR]
    assert ("COPY", "flow/ ./flow/") in ops
    assert any(op == "RUN" and "-r requirements-flow.txt" in arg for op, arg in ops)


def test_the_flow_runs_as_an_unprivileged_user() -> None:
    user = [arg for op, arg in instructions() if op == "USER"][-1]
    assert user not in {"root", "0"}


def test_build_context_lets_in_only_the_flow_code_and_its_requirements() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    rules = [line for line in lines if not line.startswith("#")]
    assert rules[0] == "*"
    assert {"!flow/", "!requirements-flow.txt"} <= set(rules)


def test_flow_package_never_imports_infra() -> None:
    for path in sorted((ROOT / "flow").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0] == "infra"], path
