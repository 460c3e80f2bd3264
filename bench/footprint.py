"""Footprint: the flow image's Python payload vs the whole dev environment; flow import time.

The payload is measured by installing `requirements-flow.txt` (what the Dockerfile installs)
into a fresh virtualenv and summing the files it added (pip's cache makes this ~45 s). With
`--skip-install` it is computed instead from this virtualenv: the files listed in the RECORD of
every distribution in the requirements' closure, each file counted once. The dev environment
is this project's `.venv` (`requirements-dev.txt`), summed file by file on disk.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bench.measure import (
    REPETITIONS,
    median,
    megabytes,
    ratio,
    seconds,
    stopwatch,
    timed,
    with_range,
)
from infra.config import PROJECT_DIR

FLOW_REQUIREMENTS = PROJECT_DIR / "requirements-flow.txt"
IMPORTS = {
    "interpreter alone": "pass",
    "prefect (any flow pays this)": "import prefect",
    "flow.flows (our flow module)": "import flow.flows",
}


def tree_size(root: Path) -> int:
    """Bytes of every regular file under `root` (symlinks not followed)."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def requirements(path: Path) -> list[Requirement]:
    """The requirements of a pip requirements file without `-r` includes or comments."""
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def closure(roots: list[Requirement]) -> set[str]:
    """Canonical names of the installed distributions `roots` pull in (markers and extras
    evaluated for this interpreter)."""
    seen: set[str] = set()
    todo = [(root, root.extras) for root in roots]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = name if not extras else f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for raw in dist.requires or []:
            child = Requirement(raw)
            environments = [{"extra": e} for e in (extras or {""})]
            if child.marker is None or any(child.marker.evaluate(env) for env in environments):
                todo.append((child, child.extras))
    return {key.split("[")[0] for key in seen}


def record_size(names: set[str]) -> int:
    """Bytes on disk of the files the named distributions installed, each file counted once
    (mlflow and mlflow-skinny, for one, install the same files)."""
    files: set[Path] = set()
    for dist in metadata.distributions():
        if canonicalize_name(dist.metadata["Name"]) in names:
            files.update(Path(f.locate()).resolve() for f in dist.files or [])
    return sum(p.stat().st_size for p in files if p.is_file())


def fresh_install(workdir: Path) -> dict[str, Any]:
    """Install the flow requirements into a new virtualenv; bytes added and time taken."""
    target = workdir / "flow-venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    before = tree_size(site), _distributions(python)
    with stopwatch() as elapsed:
        done = subprocess.run(
            [
                *(str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                *("-r", str(FLOW_REQUIREMENTS)),
            ],
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"pip install -r requirements-flow.txt failed:\n{done.stderr[-2000:]}")
    return {
        "bytes": tree_size(site) - before[0],
        "distributions": _distributions(python) - before[1],
        "install_seconds": elapsed[0],
    }


def _distributions(python: Path) -> int:
    """How many distributions the interpreter's environment holds."""
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    return len(listed.stdout.split())


def import_seconds(statement: str, repetitions: int) -> list[float]:
    """Wall time of a fresh interpreter running `statement` from the project root."""
    command = [sys.executable, "-c", statement]
    return timed(lambda: subprocess.run(command, cwd=PROJECT_DIR, check=True), repetitions)


def run(workdir: Path, install: bool = True, repetitions: int = REPETITIONS) -> dict[str, Any]:
    """Payload and environment sizes; cold import times (median of `repetitions`)."""
    names = closure(requirements(FLOW_REQUIREMENTS))
    site = Path(sysconfig.get_paths()["purelib"])
    result: dict[str, Any] = {
        "repetitions": repetitions,
        "record_distributions": len(names),
        "record_bytes": record_size(names),
        "dev_distributions": len(list(metadata.distributions())),
        "dev_bytes": tree_size(site),
        "imports": {label: import_seconds(code, repetitions) for label, code in IMPORTS.items()},
    }
    if install:
        result["fresh"] = fresh_install(workdir)
    return result


def payload(result: dict[str, Any]) -> tuple[int, int, str]:
    """(bytes, distributions, how it was measured) of the flow payload."""
    if "fresh" in result:
        fresh = result["fresh"]
        return fresh["bytes"], fresh["distributions"], "fresh `pip install` into a new venv"
    return (
        result["record_bytes"],
        result["record_distributions"],
        "RECORD files of the requirements' closure in .venv (--skip-install)",
    )


def lines(result: dict[str, Any]) -> list[str]:
    """Printable figures with ratios."""
    size, count, how = payload(result)
    imports = result["imports"]
    flow_s = median(imports["flow.flows (our flow module)"])
    prefect_s = median(imports["prefect (any flow pays this)"])
    out = [
        f"flow image payload: {count} distributions, {megabytes(size)} ({how})",
        f"dev environment (.venv): {result['dev_distributions']} distributions, "
        f"{megabytes(result['dev_bytes'])} -> {ratio(size, result['dev_bytes'])} the payload",
    ]
    if "fresh" in result:
        out.append(
            f"cross-check from RECORD files: {result['record_distributions']} distributions, "
            f"{megabytes(result['record_bytes'])}; fresh install took "
            f"{seconds(result['fresh']['install_seconds'])}"
        )
    out += [f"cold `{label}`: {with_range(values)}" for label, values in imports.items()]
    out.append(f"flow.flows vs prefect alone: {ratio(prefect_s, flow_s)}")
    return out
