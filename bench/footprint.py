"""Footprint: each image's Python payload against the dev environment; the flow image's cold
import and the peak memory of one forecast run executed the way its container runs it.

Payloads come from fresh installs, exactly what the Dockerfile's targets install: `flow` =
`pip install -r requirements-flow.txt`, `worker` = `pip install -r requirements-worker.txt -c
requirements-flow.txt`, each into a new virtualenv (pip's cache makes this a minute or two), sized
from the RECORD files of every distribution but pip and setuptools. With `--skip-install` the flow
payload is read the same way from `.venv-flow` (`make flow-env`) and the worker's from the RECORD
files of its requirements' closure in this `.venv`. The dev environment is this project's
`.venv`, summed file by file on disk.

The cold imports and the forecast run use the flow image's environment. The forecast run is a
real deployment of `covid-prediction` on the benchmark's Prefect server (generated sample
reports, a model trained on them by `train` in this process): one flow run, started
with the pool's command (`python -m flow.engine`) by that environment's interpreter from the
repository root; its peak RSS is that process's own `ru_maxrss` (`os.wait4`, from a small
launcher so this process's memory is not counted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from datetime import date
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
    with_range,
)
from infra.config import PROJECT_DIR

FLOW_REQUIREMENTS = PROJECT_DIR / "requirements-flow.txt"
WORKER_REQUIREMENTS = PROJECT_DIR / "requirements-worker.txt"
# What `make flow-env` creates: the flow image's environment.
FLOW_VENV = PROJECT_DIR / ".venv-flow"
INSTALLS = {
    "flow": ["-r", str(FLOW_REQUIREMENTS)],
    "worker": ["-r", str(WORKER_REQUIREMENTS), "-c", str(FLOW_REQUIREMENTS)],
}
# Installed into every virtualenv by `venv` itself; not part of any image's payload.
BOOTSTRAP = {"pip", "setuptools"}
# What the flow image must not carry: Prefect's server stack and scikit-learn's model loading.
UNWANTED_IN_FLOW = ("scipy", "scikit-learn", "skops", "sqlalchemy", "alembic", "prefect-aws")
# The forecast run's data: generated JHU-style daily reports (flow.sample), as the flow
# integration tests use: first report, last training day, the run's as_of, last report.
SAMPLE_DAYS = (date(2021, 1, 1), date(2021, 2, 5), date(2021, 2, 10), date(2021, 2, 15))
FORECAST_REGION = ("Madrid", "Spain")
IMPORTS = {
    "interpreter alone": "pass",
    "import pandas": "import pandas",
    "import prefect": "import prefect",
    "import flow.flows": "import flow.flows",
    # What a forecast run imports in all before it loads the model: the module, then its body.
    "import flow.flows + flow.runs.prediction": "import flow.flows, flow.runs.prediction",
}
# Issue 13's acceptance: flow payload / dev env, and cold `import flow.flows`, each (target, goal).
PAYLOAD_RATIO = (0.25, 0.20)
IMPORT_SECONDS = (1.0, 0.5)
# Runs argv[2:] and writes its exit code and its own peak RSS (KiB) to the file argv[1].
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""
# Times its argument's execution in this fresh interpreter; prints seconds.
_TIMED_STATEMENT = (
    "import sys, time; start = time.perf_counter(); exec(sys.argv[1]); "
    "print(time.perf_counter() - start)"
)
# Distribution sizes from RECORD files, run inside the measured environment.
_SIZES = """
import json
from importlib import metadata
from pathlib import Path
sizes = {}
for dist in metadata.distributions():
    files = {Path(f.locate()).resolve() for f in dist.files or []}
    sizes[dist.metadata["Name"]] = sum(p.stat().st_size for p in files if p.is_file())
print(json.dumps(sizes))
"""


def tree_size(root: Path) -> int:
    """Bytes of every regular file under `root` (symlinks not followed)."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def requirements(path: Path) -> list[Requirement]:
    """The requirements of a pip requirements file without `-r`/`-c` lines or comments."""
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


def distribution_sizes(python: Path) -> dict[str, int]:
    """Canonical name -> bytes of its RECORD files, for every distribution of an environment."""
    listed = subprocess.run(
        [str(python), "-c", _SIZES], capture_output=True, text=True, check=True
    ).stdout
    return {canonicalize_name(name): size for name, size in json.loads(listed).items()}


def payload_of(sizes: dict[str, int]) -> dict[str, Any]:
    """Size, count and largest distributions of an environment, bootstrap packages excluded."""
    kept = {name: size for name, size in sizes.items() if name not in BOOTSTRAP}
    largest = sorted(kept.items(), key=lambda item: -item[1])[:8]
    return {
        "bytes": sum(kept.values()),
        "distributions": len(kept),
        "largest": [[name, size] for name, size in largest],
        "unwanted": sorted(set(kept) & set(UNWANTED_IN_FLOW)),
    }


def fresh_install(target: Path, arguments: list[str]) -> dict[str, Any]:
    """`pip install <arguments>` into a new virtualenv at `target`; its payload and the time."""
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    with stopwatch() as elapsed:
        done = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *arguments,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(arguments)} failed:\n{done.stderr[-2000:]}")
    return {**payload_of(distribution_sizes(python)), "install_seconds": elapsed[0]}


def installed_payloads(workdir: Path) -> tuple[dict[str, dict[str, Any]], Path]:
    """Payload of each image from fresh installs, and the fresh flow environment's python."""
    images = {
        name: fresh_install(workdir / f"{name}-venv", args) for name, args in INSTALLS.items()
    }
    return images, workdir / "flow-venv" / "bin" / "python"


def existing_payloads() -> tuple[dict[str, dict[str, Any]], Path]:
    """`--skip-install`: the flow payload of `.venv-flow`, the worker's from `.venv`'s RECORDs."""
    python = FLOW_VENV / "bin" / "python"
    if not python.exists():
        raise RuntimeError(f"{FLOW_VENV} is missing: run `make flow-env` or drop --skip-install")
    here = distribution_sizes(Path(sys.executable))
    worker = closure(requirements(WORKER_REQUIREMENTS))
    return {
        "flow": payload_of(distribution_sizes(python)),
        "worker": payload_of({name: size for name, size in here.items() if name in worker}),
    }, python


def import_seconds(python: Path, statement: str, repetitions: int) -> dict[str, list[float]]:
    """Cold `statement` in fresh `python` processes run from the project root, timed twice per
    process: the statement itself, as the interpreter sees it (`statement`), and the whole
    process, interpreter start and exit included (`process`)."""
    command = [str(python), "-c", _TIMED_STATEMENT, statement]
    samples: dict[str, list[float]] = {"statement": [], "process": []}
    for _ in range(repetitions):
        with stopwatch() as elapsed:
            done = subprocess.run(command, cwd=PROJECT_DIR, check=True, capture_output=True)
        samples["statement"].append(float(done.stdout))
        samples["process"].append(elapsed[0])
    return samples


def run_with_peak_rss(command: list[str], env: dict[str, str], log: Path) -> tuple[int, int]:
    """(exit code, peak RSS in bytes) of `command` run from the project root.

    Started through a small launcher process: a child forked straight from this (large)
    process would count this process's pages in its `ru_maxrss` until it execs.
    """
    measured = log.with_suffix(".rusage")
    with log.open("wb") as output:
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(measured), *command],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
        )
    code, kib = (int(value) for value in measured.read_text().split())
    return code, kib * 1024  # Linux reports KiB


def forecast_run(python: Path, workdir: Path) -> dict[str, Any]:
    """One `covid-prediction` flow run of a real deployment, started as the ECS task starts it."""
    from prefect.client.orchestration import get_client

    from flow.flows import train
    from flow.sample import write_sample_reports
    from infra.specs import (
        FLOW_RUN_COMMAND,
        PREDICTION_ENTRYPOINT,
        PREDICTION_FLOW,
        SET_WORKING_DIRECTORY,
    )

    reports = workdir / "jhu"
    write_sample_reports(reports, SAMPLE_DAYS[0], SAMPLE_DAYS[3])
    template = str(reports / "{date:%m-%d-%Y}.csv")
    artifacts = workdir / "artifacts"
    run_id = str(
        train(
            start=SAMPLE_DAYS[0],
            end=SAMPLE_DAYS[1],
            data_url=template,
            model="seed",
            tracking_uri=f"sqlite:///{workdir / 'mlflow.db'}",
            artifact_location=artifacts.as_uri(),
        )
    )
    region, country = FORECAST_REGION
    parameters = {
        "prov_st": region,
        "country": country,
        "run_id": run_id,
        "as_of": SAMPLE_DAYS[2].isoformat(),
        # The image's MLflow client has no SQL tracking store: the artifact-root search.
        "artifact_root": str(artifacts),
        "results_uri": str(workdir / "results"),
        "data_url": template,
    }
    with get_client(sync_client=True) as client:
        deployment_id = client.create_deployment(
            flow_id=client.create_flow_from_name(PREDICTION_FLOW),
            name="bench-footprint",
            entrypoint=PREDICTION_ENTRYPOINT,
            parameters=parameters,
            pull_steps=[{SET_WORKING_DIRECTORY: {"directory": str(PROJECT_DIR)}}],
        )
        flow_run_id = client.create_flow_run_from_deployment(deployment_id).id
    # `python -m flow.engine` with this environment's python.
    arguments = FLOW_RUN_COMMAND.split()[1:]
    env = {**os.environ, "PREFECT__FLOW_RUN_ID": str(flow_run_id)}
    log = workdir / "forecast-run.log"
    with stopwatch() as elapsed:
        code, peak = run_with_peak_rss([str(python), *arguments], env, log)
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
    return {
        "command": FLOW_RUN_COMMAND,
        "region": f"{region} ({country})",
        "returncode": code,
        "state": state.type.value if state else "none",
        "seconds": elapsed[0],
        "peak_rss_bytes": peak,
        "log_tail": log.read_text(errors="replace")[-1500:] if code else "",
    }


def run(workdir: Path, install: bool = True, repetitions: int = REPETITIONS) -> dict[str, Any]:
    """Payloads, dev environment size, cold imports (median of `repetitions`), one forecast."""
    workdir.mkdir(parents=True, exist_ok=True)
    images, flow_python = installed_payloads(workdir) if install else existing_payloads()
    site = Path(sysconfig.get_paths()["purelib"])
    return {
        "repetitions": repetitions,
        "measured_as": "fresh `pip install` into new venvs"
        if install
        else "`.venv-flow` and `.venv` RECORD files (--skip-install)",
        "images": images,
        "dev_distributions": len(list(metadata.distributions())),
        "dev_bytes": tree_size(site),
        "imports": {
            label: import_seconds(flow_python, code, repetitions) for label, code in IMPORTS.items()
        },
        "forecast_run": forecast_run(flow_python, workdir),
    }


def payload(result: dict[str, Any]) -> tuple[int, int, str]:
    """(bytes, distributions, how it was measured) of the flow image's payload."""
    flow = result["images"]["flow"]
    return flow["bytes"], flow["distributions"], result["measured_as"]


def lines(result: dict[str, Any]) -> list[str]:
    """Printable figures with ratios."""
    dev = result["dev_bytes"]
    out = [
        f"dev environment (.venv): {result['dev_distributions']} distributions, {megabytes(dev)}"
    ]
    for name, image in result["images"].items():
        out.append(
            f"{name} image payload: {image['distributions']} distributions, "
            f"{megabytes(image['bytes'])} = {image['bytes'] / dev:.2f}x the dev environment "
            f"({result['measured_as']}); unwanted: {', '.join(image['unwanted']) or 'none'}"
        )
    imports = result["imports"]
    out += [
        f"cold `{label}` in the flow env: {with_range(v['statement'])} itself, "
        f"{with_range(v['process'])} as a whole process"
        for label, v in imports.items()
    ]
    flows_s = median(imports["import flow.flows"]["statement"])
    prefect_s = median(imports["import prefect"]["statement"])
    out.append(f"import flow.flows vs import prefect alone: {ratio(prefect_s, flows_s)}")
    run_ = result["forecast_run"]
    out.append(
        f"one forecast run (`{run_['command']}`, {run_['region']}): {run_['state']}, exit "
        f"{run_['returncode']}, {seconds(run_['seconds'])}, peak RSS "
        f"{megabytes(run_['peak_rss_bytes'])}"
    )
    return out
