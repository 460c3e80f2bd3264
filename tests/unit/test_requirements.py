"""The pinned requirement files: lean flow image, one version per package, one Prefect minor.

Files: requirements-flow.txt (flow image), requirements-worker.txt (worker image; the program
includes it), requirements.txt (program), requirements-dev.txt (tests and tools; includes the
program and takes the flow's versions as constraints).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "requirements-flow.txt"
WORKER = ROOT / "requirements-worker.txt"
PROGRAM = ROOT / "requirements.txt"
DEV = ROOT / "requirements-dev.txt"
# What a flow run never uses: Prefect's server stack and scikit-learn's model loading.
NOT_IN_FLOW_IMAGE = {"prefect", "prefect-aws", "scikit-learn", "scipy", "skops", "sqlalchemy"}
NOT_IN_FLOW_IMAGE |= {"alembic", "mlflow", "pyarrow"}


@dataclass
class RequirementsFile:
    """One requirements file: its own lines, and the files it includes or is constrained by."""

    path: Path
    requirements: list[Requirement] = field(default_factory=list)
    includes: list[RequirementsFile] = field(default_factory=list)
    constraints: list[RequirementsFile] = field(default_factory=list)

    def own_pins(self) -> dict[str, str]:
        """name -> version of this file's own `name==version` lines."""
        return {canonicalize_name(r.name): pinned(r) for r in self.requirements if pinned(r)}

    def installed_pins(self) -> dict[str, str]:
        """name -> version pip installs for this file: own pins, includes, constraints."""
        pins: dict[str, str] = {}
        for other in [*self.includes, *self.constraints]:
            pins.update(other.installed_pins())
        names = {canonicalize_name(r.name) for r in self.all_requirements()}
        pins = {name: version for name, version in pins.items() if name in names}
        return {**pins, **self.own_pins()}

    def all_requirements(self) -> list[Requirement]:
        """Own requirements plus those of included files (constraints install nothing)."""
        return [*self.requirements, *(r for f in self.includes for r in f.all_requirements())]


def pinned(requirement: Requirement) -> str:
    """The exact version of a `name==version` requirement, else ''."""
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator == "==":
        return specifiers[0].version
    return ""


def parse(path: Path) -> RequirementsFile:
    """Read a pip requirements file, following `-r` and `-c` (relative to its folder)."""
    parsed = RequirementsFile(path)
    for raw in path.read_text().splitlines():
        line = raw.split("#")[0].strip()
        if not line:
            continue
        option = re.fullmatch(r"-([rc])\s+(\S+)", line)
        if option:
            target = parse(path.parent / option[2])
            (parsed.includes if option[1] == "r" else parsed.constraints).append(target)
        else:
            parsed.requirements.append(Requirement(line))
    return parsed


def minor(version: str) -> tuple[int, int]:
    """(major, minor) of a version."""
    release = Version(version).release
    return release[0], release[1]


def test_flow_image_requirements_are_the_lean_client_set() -> None:
    flow = parse(FLOW)
    pins = flow.own_pins()
    assert {"prefect-client", "mlflow-skinny", "pandas", "numpy", "boto3"} <= set(pins)
    assert not NOT_IN_FLOW_IMAGE & set(pins), NOT_IN_FLOW_IMAGE & set(pins)
    assert not flow.includes
    assert not flow.constraints


def test_every_requirement_is_pinned_exactly_in_its_file_or_by_the_flow_constraint() -> None:
    for path in (FLOW, WORKER, PROGRAM, DEV):
        parsed = parse(path)
        constrained = {n for c in parsed.constraints for n in c.own_pins()}
        loose = [
            str(r)
            for r in parsed.requirements
            if not pinned(r) and canonicalize_name(r.name) not in constrained
        ]
        assert not loose, f"{path.name}: pin these with ==: {loose}"


def test_a_package_pinned_in_several_files_has_one_version() -> None:
    versions: dict[str, dict[str, str]] = {}
    for path in (FLOW, WORKER, PROGRAM, DEV):
        for name, version in parse(path).own_pins().items():
            versions.setdefault(name, {})[path.name] = version
    split = {name: seen for name, seen in versions.items() if len(set(seen.values())) > 1}
    assert not split, split


def test_dev_env_gets_the_flow_images_versions_of_the_shared_packages() -> None:
    dev = parse(DEV).installed_pins()
    flow = parse(FLOW).own_pins()
    for name in ("pandas", "numpy", "boto3", "mlflow-skinny", "fsspec"):
        assert dev[name] == flow[name], name
    # Full mlflow pins mlflow-skinny exactly; a different version would not install.
    assert dev["mlflow"] == flow["mlflow-skinny"]
    assert not {"scikit-learn", "skops"} & set(flow)
    assert {"scikit-learn", "skops", "prefect", "prefect-aws"} <= set(dev)


def test_worker_flow_image_and_program_run_one_prefect_minor() -> None:
    worker = parse(WORKER).own_pins()
    program = parse(PROGRAM).installed_pins()
    flow = parse(FLOW).own_pins()
    assert program["prefect"] == worker["prefect"]
    assert program["prefect-aws"] == worker["prefect-aws"]
    # prefect-client can lag prefect by a patch release (3.9.0 vs 3.9.1): same minor only.
    assert minor(flow["prefect-client"]) == minor(worker["prefect"])


def test_the_version_skew_is_documented_where_the_images_are() -> None:
    aws_doc = (ROOT / "docs" / "aws.md").read_text()
    worker = parse(WORKER).own_pins()
    flow = parse(FLOW).own_pins()
    assert f"prefect-client {flow['prefect-client']}" in aws_doc
    assert f"prefect {worker['prefect']}" in aws_doc


def test_this_dev_environment_has_the_pinned_versions_installed() -> None:
    # The tests run in .venv: what they prove holds for the pinned versions only.
    for name, version in parse(DEV).installed_pins().items():
        assert metadata.version(name) == version, f"{name} in this environment"
