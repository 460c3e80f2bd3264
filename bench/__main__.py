"""`make bench`: run every benchmark, print its figures with ratios, write docs/benchmarks.md.

python -m bench                      everything (~4 min on 2 cores); rewrites
                                     docs/benchmarks.md and bench/results.json
python -m bench --only churn         one benchmark (repeatable), printed only
python -m bench --skip-install       payloads of .venv-flow and this venv, no fresh pip install
python -m bench --repetitions 7      repetitions per timing (default 5)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import REPETITIONS, seconds
from bench.server import point_prefect_at, prefect_server
from infra.config import PROJECT_DIR

NAMES = ("footprint", "scale", "reliability", "plan", "skill", "churn", "flow_run")
# footprint: its forecast run is a real deployment run on the server.
NEEDS_SERVER = ("footprint", "churn", "flow_run")
RESULTS = PROJECT_DIR / "bench" / "results.json"
DOC = PROJECT_DIR / "docs" / "benchmarks.md"


def _benchmarks(
    args: argparse.Namespace, workdir: Path
) -> dict[str, tuple[Callable[..., dict[str, Any]], Callable[[dict[str, Any]], list[str]]]]:
    """name -> (run(api_url), lines(result)); imported only now, after Prefect is pointed."""
    from bench import churn, flow_run, footprint, plan, reliability, scale, skill

    reps = args.repetitions
    return {
        "footprint": (
            lambda _url: footprint.run(workdir / "footprint", not args.skip_install, reps),
            footprint.lines,
        ),
        "scale": (lambda _url: scale.run(), scale.lines),
        "skill": (lambda _url: skill.run(reps), skill.lines),
        "reliability": (lambda _url: reliability.run(workdir / "reliability"), reliability.lines),
        "plan": (lambda _url: plan.run(reps), plan.lines),
        "churn": (lambda url: churn.run(url, workdir / "churn", reps), churn.lines),
        "flow_run": (lambda url: flow_run.run(workdir / "flow_run", reps), flow_run.lines),
    }


def _run_one(
    name: str,
    bench: tuple[Callable[..., dict[str, Any]], Callable[[dict[str, Any]], list[str]]],
    workdir: Path,
    api_url: str | None,
) -> dict[str, Any]:
    print(f"== {name}", flush=True)
    (workdir / name).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = bench[0](api_url)
    for line in bench[1](result):
        print(f"   {line}", flush=True)
    print(f"   ({seconds(time.perf_counter() - start)})", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--only", choices=NAMES, action="append", help="run only this one")
    parser.add_argument("--skip-install", action="store_true", help="no fresh pip install")
    parser.add_argument("--repetitions", type=int, default=REPETITIONS, help="per timing")
    args = parser.parse_args(argv)
    if args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    names = [n for n in NAMES if n in (args.only or NAMES)]

    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="covid-bench-"))
    try:
        plan = point_prefect_at(workdir)
        benchmarks = _benchmarks(args, workdir)
        results: dict[str, Any] = {}
        for name in [n for n in names if n not in NEEDS_SERVER]:
            results[name] = _run_one(name, benchmarks[name], workdir, None)
        if any(n in NEEDS_SERVER for n in names):
            with prefect_server(plan) as api_url:
                for name in [n for n in names if n in NEEDS_SERVER]:
                    results[name] = _run_one(name, benchmarks[name], workdir, api_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - start
    print(f"== all done in {seconds(elapsed)}", flush=True)
    if args.only:
        return 0

    from bench.machine import commit, describe
    from bench.report import render

    results["meta"] = {
        "taken": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "commit": commit(),
        "seconds": elapsed,
        "repetitions": args.repetitions,
        "machine": describe(),
    }
    RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n")
    DOC.write_text(render(results))
    print(f"wrote {DOC.relative_to(PROJECT_DIR)} and {RESULTS.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
