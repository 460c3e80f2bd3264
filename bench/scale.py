"""Scale on paper, checked under mocks: resources and always-on cost for 1, 10, 100 cities.

Every city stack is really run under Pulumi mocks (nothing is extrapolated): self-contained,
each city is a copy of the madrid stack with its own platform; in shared mode the first city
is the platform and the others reference it (`platformStack`). Always-on = the tasks of ECS
services (`desiredCount` Fargate tasks running 24/7), priced at Fargate's list price.
"""

from __future__ import annotations

from typing import Any

from bench.measure import median, ratio, seconds, stopwatch, usd
from bench.program_mocks import ProgramRun, run_program

# AWS Fargate list prices, Linux/x86, eu-west-1, on-demand (aws.amazon.com/fargate/pricing,
# as published in 2026-11): list prices to check before quoting, not a bill.
VCPU_HOUR_USD = 0.04048
GB_HOUR_USD = 0.004445
HOURS_PER_MONTH = 730
CITIES = (1, 10, 100)
PLATFORM = "acme/covid-forecast/madrid"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def monthly_task_usd(cpu_units: int, memory_mib: int) -> float:
    """List price of one Fargate task running all month."""
    hourly = cpu_units / 1024 * VCPU_HOUR_USD + memory_mib / 1024 * GB_HOUR_USD
    return hourly * HOURS_PER_MONTH


def inventory(run: ProgramRun) -> dict[str, float]:
    """Cloud resources, Prefect objects and always-on tasks (with their monthly price)."""
    cloud = [r for r in run.resources if r.type_.startswith(("aws:", "docker:"))]
    prefect = [r for r in run.resources if r.type_.startswith("pulumi-python:dynamic")]
    tasks, monthly = 0.0, 0.0
    for service in run.of_type(SERVICE):
        count = float(service.inputs.get("desiredCount", 1))
        # One task definition per stack: the worker's (flow runs register their own at run time).
        (definition,) = run.of_type(TASK_DEFINITION)
        size = (int(definition.inputs["cpu"]), int(definition.inputs["memory"]))
        tasks += count
        monthly += count * monthly_task_usd(*size)
    return {
        "aws_resources": len(cloud),
        "prefect_objects": len(prefect),
        "always_on_tasks": tasks,
        "usd_per_month": monthly,
    }


def _total(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: sum(r[key] for r in runs) for key in runs[0]}


def run() -> dict[str, Any]:
    """Per-mode totals for each N in `CITIES`, every stack run under mocks."""
    durations: list[float] = []

    def timed_run(**kwargs: Any) -> ProgramRun:
        with stopwatch() as elapsed:
            program = run_program("madrid", **kwargs)
        durations.append(elapsed[0])
        return program

    platform = timed_run()
    worker = platform.of_type(TASK_DEFINITION)[0].inputs
    self_contained = [inventory(platform)]
    self_contained += [
        inventory(timed_run(overrides={"city": f"City {i}"})) for i in range(1, max(CITIES))
    ]
    shared = [inventory(platform)]
    shared += [
        inventory(
            timed_run(
                overrides={"platformStack": PLATFORM, "city": f"City {i}"},
                stack_references={PLATFORM: platform.outputs},
            )
        )
        for i in range(1, max(CITIES))
    ]
    rows = [
        {"cities": n, "self_contained": _total(self_contained[:n]), "shared": _total(shared[:n])}
        for n in CITIES
    ]
    return {
        "stacks_run": len(durations),
        "seconds_per_stack": durations,
        "worker_cpu": int(worker["cpu"]),
        "worker_memory": int(worker["memory"]),
        "worker_usd_month": monthly_task_usd(int(worker["cpu"]), int(worker["memory"])),
        "per_city": {"self_contained": self_contained[1], "shared": shared[1]},
        "rows": rows,
    }


def lines(result: dict[str, Any]) -> list[str]:
    """Printable figures with ratios (self-contained / shared)."""
    per_stack = seconds(median(result["seconds_per_stack"]))
    out = [
        f"{result['stacks_run']} stacks run under mocks, {per_stack} each (median)",
        f"always-on worker {result['worker_cpu']} CPU units / {result['worker_memory']} MiB: "
        f"{usd(result['worker_usd_month'])}/month at list price",
    ]
    for row in result["rows"]:
        own, shared = row["self_contained"], row["shared"]
        out.append(
            f"{row['cities']:>3} cities: self-contained {own['aws_resources']:g} AWS resources, "
            f"{own['always_on_tasks']:g} always-on tasks, {usd(own['usd_per_month'])}/month | "
            f"shared {shared['aws_resources']:g} AWS resources, {shared['always_on_tasks']:g} "
            f"task(s), {usd(shared['usd_per_month'])}/month -> self-contained costs "
            f"{ratio(shared['usd_per_month'], own['usd_per_month'])}"
        )
    return out
