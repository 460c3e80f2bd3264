"""Deploy churn: our providers vs `prefect deploy`, on one real local Prefect server.

The `dev` stack's Prefect objects (process pool, results block, `covid-prediction/madrid`),
through the same plan and providers `pulumi up` uses: wall time and HTTP requests of the first
create, a no-op, a `run_id` change, a schedule change and destroy, in-process (requests seen by
the providers' transport). Then, as commands with process start included and requests counted
by a loopback proxy: `python -m infra.local apply` and Prefect's own `prefect deploy` of the same
deployment from a generated `prefect.yaml` (first deploy, no-op, `run_id` change).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from bench.counting_proxy import RequestLog, counting_proxy
from bench.measure import REPETITIONS, is_write, median, ratio, seconds, stopwatch, with_range
from infra.config import PROJECT_DIR
from infra.local import apply_resources, destroy_resources, load_local_config
from infra.prefect.client import record_requests
from infra.prefect_plan import PlannedResource, planned_resources
from infra.specs import local_plan

RUN_A, RUN_B = "a" * 32, "b" * 32
CRON_A, CRON_B = "0 6 * * *", "30 6 * * *"
STEPS = ("first create", "no-op", "run_id change", "schedule change", "destroy")
COMMAND_STEPS = ("first deploy", "no-op", "run_id change")
PREFECT_BIN = Path(sys.executable).with_name("prefect")


def _quiet(_line: str) -> None:
    """The runner's progress lines are not part of the figures."""


def plan_for(run_id: str, cron: str = CRON_A) -> list[PlannedResource]:
    """The `dev` stack's Prefect plan with this model and cron."""
    config = load_local_config("dev", {"runId": run_id, "scheduleCron": cron})
    return planned_resources(config, local_plan(config))


def deployment_props(plan: list[PlannedResource]) -> dict[str, Any]:
    """The inputs of the plan's (one) deployment."""
    return next(r for r in plan if r.kind == "Deployment").props


class Steps:
    """Samples per step: seconds, requests, writes, and the calls of the last repetition."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.figures: dict[str, dict[str, Any]] = {
            name: {"seconds": [], "requests": [], "writes": [], "calls": []} for name in names
        }

    def add(self, step: str, elapsed: float, calls: list[str]) -> None:
        """One repetition of `step`."""
        figures = self.figures[step]
        figures["seconds"].append(elapsed)
        figures["requests"].append(len(calls))
        figures["writes"].append(sum(1 for c in calls if is_write(c)))
        figures["calls"] = calls


def _in_process_cycle(state: Path, steps: Steps) -> None:
    """One full life cycle through the providers in this process."""
    plans = {
        "first create": plan_for(RUN_A),
        "no-op": plan_for(RUN_A),
        "run_id change": plan_for(RUN_B),
        "schedule change": plan_for(RUN_B, CRON_B),
    }
    for step in STEPS:
        with record_requests() as seen, stopwatch() as elapsed:
            if step == "destroy":
                destroy_resources(state, log=_quiet)
            else:
                apply_resources(plans[step], state, log=_quiet)
        steps.add(step, elapsed[0], [f"{r.method} {r.url.path.removeprefix('/api')}" for r in seen])


def _command(args: list[str], proxy_url: str, log: RequestLog) -> tuple[float, list[str]]:
    """Run a command against the proxy; its wall time (process start included) and requests."""
    env = {**os.environ, "PREFECT_API_URL": proxy_url}
    log.take()
    with stopwatch() as elapsed:
        done = subprocess.run(args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed[0], log.take()


def _our_command(state: Path, run_id: str) -> list[str]:
    return [
        *(sys.executable, "-m", "infra.local", "apply", "--stack", "dev"),
        *("--set", f"runId={run_id}", "--state", str(state)),
    ]


def write_prefect_yaml(path: Path, deployment: dict[str, Any]) -> None:
    """A `prefect.yaml` holding the same deployment our plan declares."""
    document = {
        "name": "covid-forecast",
        "prefect-version": "3.9.1",
        "pull": deployment["pull_steps"],
        "deployments": [
            {
                "name": deployment["name"],
                "entrypoint": deployment["entrypoint"],
                "description": deployment["description"],
                "tags": deployment["tags"],
                "parameters": deployment["parameters"],
                "work_pool": {
                    "name": deployment["work_pool_name"],
                    "job_variables": deployment["job_variables"],
                },
                "schedules": [deployment["schedule"]],
            }
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _prefect_deploy(prefect_file: Path) -> list[str]:
    return [
        *(str(PREFECT_BIN), "--no-prompt", "deploy", "--name", "madrid"),
        *("--prefect-file", str(prefect_file)),
    ]


def _delete_deployment(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.delete_deployment(client.read_deployment_by_name(name).id)
        except ObjectNotFound:
            return


def run(api_url: str, workdir: Path, repetitions: int = REPETITIONS) -> dict[str, Any]:
    """Every churn figure, `repetitions` times each."""
    # One untimed cycle first: the first one in a process also imports Prefect's client.
    _in_process_cycle(workdir / "warm-up.json", Steps(STEPS))
    ours = Steps(STEPS)
    for i in range(repetitions):
        _in_process_cycle(workdir / f"in-process-{i}.json", ours)

    our_cli, theirs = Steps(COMMAND_STEPS), Steps(COMMAND_STEPS)
    with counting_proxy(api_url) as (proxy_url, log):
        for i in range(repetitions):
            state = workdir / f"command-{i}.json"
            for step, run_id in zip(COMMAND_STEPS, (RUN_A, RUN_A, RUN_B), strict=True):
                our_cli.add(step, *_command(_our_command(state, run_id), proxy_url, log))
            destroy_resources(state, log=_quiet)

        # `prefect deploy` only makes the deployment: the pool and block come from our runner
        # (the automations watch the deployment, so they are no part of this setup).
        setup = workdir / "prefect-deploy-setup.json"
        plan = plan_for(RUN_A)
        apply_resources([r for r in plan if r.kind in ("WorkPool", "Block")], setup, log=_quiet)
        prefect_file = workdir / "prefect.yaml"
        name = f"{deployment_props(plan)['flow_name']}/{deployment_props(plan)['name']}"
        for _ in range(repetitions):
            _delete_deployment(name)
            for step, run_id in zip(COMMAND_STEPS, (RUN_A, RUN_A, RUN_B), strict=True):
                write_prefect_yaml(prefect_file, deployment_props(plan_for(run_id)))
                theirs.add(step, *_command(_prefect_deploy(prefect_file), proxy_url, log))
        _delete_deployment(name)
        destroy_resources(setup, log=_quiet)
    return {
        "repetitions": repetitions,
        "ours": ours.figures,
        "ours_command": our_cli.figures,
        "prefect_deploy": theirs.figures,
    }


def targets(result: dict[str, Any]) -> dict[str, bool]:
    """The issue's targets: a no-op makes zero requests, a `run_id` change one write."""
    ours = result["ours"]
    return {
        "no-op makes zero requests": max(ours["no-op"]["requests"]) == 0,
        "run_id change makes one write": set(ours["run_id change"]["writes"]) == {1},
    }


def _counts(figures: dict[str, Any]) -> str:
    requests, writes = median(figures["requests"]), median(figures["writes"])
    return f"{requests:g} requests, {writes:g} write(s)"


def lines(result: dict[str, Any]) -> list[str]:
    """Printable figures; commands compared with `prefect deploy` (time and requests)."""
    ours, command, theirs = result["ours"], result["ours_command"], result["prefect_deploy"]
    out = [f"in-process {s}: {with_range(ours[s]['seconds'])}, {_counts(ours[s])}" for s in STEPS]
    for step in COMMAND_STEPS:
        mine, other = command[step], theirs[step]
        mine_s, other_s = median(mine["seconds"]), median(other["seconds"])
        out.append(
            f"{step} as a command: ours {seconds(mine_s)}, {_counts(mine)} | prefect deploy "
            f"{seconds(other_s)}, {_counts(other)} -> time {ratio(mine_s, other_s)}, requests "
            f"{ratio(median(mine['requests']), median(other['requests']))}"
        )
    out += [f"target {name}: {'met' if ok else 'NOT MET'}" for name, ok in targets(result).items()]
    return out
