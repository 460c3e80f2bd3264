"""`make plan` speed: the offline plan of each committed stack and a plan diff, as a user runs them.

Each repetition is a fresh `python -m infra.plan` process (interpreter start, imports, the program
under mocks, rendering), which is what `make plan STACK=<stack>` costs; the diff is
`python -m infra.plan_diff --base HEAD` (a `git archive` and a second plan in a subprocess).
Wall time moves with the machine's load; the processes' CPU time (user + system) does much less.
The issue's budget is under 10 s per plan on this machine.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from typing import Any

from bench.measure import median, seconds, stopwatch
from infra.config import PROJECT_DIR

STACKS = ("dev", "madrid")
BUDGET_SECONDS = 10.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(args: list[str], repetitions: int) -> dict[str, list[float]]:
    """Wall and CPU seconds of `repetitions` runs of `python -m ARGS` in the checkout."""
    wall, cpu = [], []
    for _ in range(repetitions):
        before = _children_cpu()
        with stopwatch() as elapsed:
            subprocess.run(
                [sys.executable, "-m", *args],
                cwd=PROJECT_DIR,
                capture_output=True,
                check=True,
                timeout=300,
            )
        wall.append(elapsed[0])
        cpu.append(_children_cpu() - before)
    return {"wall": wall, "cpu": cpu}


def run(repetitions: int) -> dict[str, Any]:
    """The text plan and the JSON plan of each stack, and one diff of madrid against HEAD."""
    result: dict[str, Any] = {"budget_seconds": BUDGET_SECONDS, "stacks": {}}
    for stack in STACKS:
        command = ["infra.plan", "--stack", stack]
        result["stacks"][stack] = {
            "text": measure(command, repetitions),
            "json": measure([*command, "--json"], repetitions),
        }
    diff = ["infra.plan_diff", "--stack", "madrid", "--base", "HEAD"]
    result["diff_madrid"] = measure(diff, max(1, repetitions // 2))
    return result


def lines(result: dict[str, Any]) -> list[str]:
    """Printed by `python -m bench --only plan`."""

    def both(figures: dict[str, list[float]]) -> str:
        return f"{seconds(median(figures['wall']))} ({seconds(median(figures['cpu']))} CPU)"

    out = [
        f"make plan STACK={stack}: text {both(f['text'])}, --json {both(f['json'])}"
        for stack, f in result["stacks"].items()
    ]
    out.append(f"make plan-diff STACK=madrid BASE=HEAD: {both(result['diff_madrid'])}")
    return out
