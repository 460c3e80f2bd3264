"""The flow payload is the closure of requirements-flow.txt, not the dev environment."""

from __future__ import annotations

from bench.footprint import FLOW_REQUIREMENTS, closure, requirements
from infra.config import PROJECT_DIR


def test_flow_closure_holds_the_image_packages_and_none_of_the_tools() -> None:
    names = closure(requirements(FLOW_REQUIREMENTS))
    assert {"mlflow-skinny", "pandas", "numpy", "boto3", "s3fs"} <= names
    # pulled in by them, not listed:
    assert {"botocore", "fsspec", "databricks-sdk"} <= names
    assert not {"pytest", "moto", "mlflow", "pulumi", "ruff", "mypy", "scipy"} & names


def test_requirement_files_with_includes_are_read_without_them() -> None:
    dev = {r.name for r in requirements(PROJECT_DIR / "requirements-dev.txt")}
    assert {"pytest", "moto", "mlflow"} <= dev
    assert "prefect" not in dev  # it comes through `-r requirements.txt`
