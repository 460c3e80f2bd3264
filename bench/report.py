"""Render docs/benchmarks.md from the figures one `make bench` run collected (pure)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.measure import (
    NOISY_SPREAD,
    is_noisy,
    median,
    megabytes,
    ratio,
    seconds,
    usd,
    with_range,
)

NOISE = (
    "Timings are wall-clock medians over the stated repetitions, with the fastest and slowest "
    "in brackets; a timing whose repetitions spread by more than "
    f"{NOISY_SPREAD:.0%} of its median is marked *(noisy)*. They move from run to run on a "
    "shared 2-core machine with a SQLite-backed Prefect server; request counts, bytes, resource "
    "counts and prices are exact and repeat run after run."
)


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A markdown table (pipes in cells escaped)."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]


def timing(samples: list[float]) -> str:
    """Median with range, marked when noisy."""
    return with_range(samples) + (" *(noisy)*" if is_noisy(samples) else "")


def _calls(calls: list[str]) -> str:
    return ", ".join(f"`{c}`" for c in calls) or "none"


def _requests(figures: dict[str, Any]) -> str:
    """`9 (3 writes)`."""
    plural = "" if median(figures["writes"]) == 1 else "s"
    return f"{_count(figures, 'requests')} ({_count(figures, 'writes')} write{plural})"


def _count(figures: dict[str, Any], key: str) -> str:
    values = figures[key]
    low, high = min(values), max(values)
    return f"{median(values):g}" if low == high else f"{median(values):g} ({low:g}-{high:g})"


def churn(result: dict[str, Any]) -> list[str]:
    """Deploy churn section."""
    ours, command, theirs = result["ours"], result["ours_command"], result["prefect_deploy"]
    n = result["repetitions"]
    out = [
        "## Deploy churn (real local Prefect server)",
        "",
        "The `dev` stack's Prefect objects (process work pool, results block, deployment "
        "`covid-prediction/madrid`) applied with the plan and providers `pulumi up` uses, "
        f"in-process; requests seen by the providers' HTTP transport. {n} full life cycles "
        "after one untimed warm-up cycle (the first one in a process imports Prefect's client).",
        "",
        *table(
            ["step", "wall time", "HTTP requests", "writes", "requests (last cycle)"],
            [
                [
                    *(step, timing(f["seconds"]), _count(f, "requests")),
                    *(_count(f, "writes"), _calls(f["calls"])),
                ]
                for step, f in ours.items()
            ],
        ),
        "",
        "The same as commands, process start included, requests counted by a loopback proxy "
        "in front of the same server: our runner (`python -m infra.local apply --stack dev "
        "--set runId=...`) and Prefect's `prefect --no-prompt deploy --name madrid` with a "
        "generated `prefect.yaml` holding the same deployment (name, entrypoint, pool, "
        f"parameters, cron and timezone, tags, pull step). {n} repetitions each.",
        "",
    ]
    rows = []
    for step in ("first deploy", "no-op", "run_id change"):
        mine, other = command[step], theirs[step]
        rows.append(
            [
                step,
                timing(mine["seconds"]),
                timing(other["seconds"]),
                ratio(median(mine["seconds"]), median(other["seconds"])),
                _requests(mine),
                _requests(other),
                ratio(median(mine["requests"]), median(other["requests"])),
            ]
        )
    out += table(
        [
            "step",
            "ours (command)",
            "`prefect deploy`",
            "time ratio",
            "our requests",
            "`prefect deploy` requests",
            "request ratio",
        ],
        rows,
    )
    ok = {
        "a no-op makes zero requests": max(ours["no-op"]["requests"]) == 0,
        "a `run_id` change makes one write": set(ours["run_id change"]["writes"]) == {1},
    }
    out += [
        "",
        "Targets: " + "; ".join(f"{k}: **{'met' if v else 'NOT MET'}**" for k, v in ok.items()),
        "",
        "Read with care: our first create makes three objects (pool, block, deployment) where "
        "`prefect deploy` makes only the deployment (its pool and block were created "
        "beforehand). Our command's time is mostly Python start-up and imports; in-process the "
        f"`run_id` change takes {seconds(median(ours['run_id change']['seconds']))}.",
        "",
        f"`prefect deploy` on a `run_id` change: {_calls(theirs['run_id change']['calls'])}.",
        f"`prefect deploy` when nothing changed: {_calls(theirs['no-op']['calls'])}.",
        "",
    ]
    return out


def flow_run(result: dict[str, Any]) -> list[str]:
    """Flow run section."""
    flow_s, floor_s = median(result["flow_seconds"]), median(result["floor_seconds"])
    empty_s = median(result["empty_flow_seconds"])
    quiet_flow = median(result["no_heartbeat_flow_seconds"])
    quiet_empty = median(result["no_heartbeat_empty_flow_seconds"])
    n = result["repetitions"]
    return [
        "## Flow run (in-process, model from a local MLflow store)",
        "",
        f"Data: {result['source']}. Each run reports to the benchmark's Prefect server "
        "(flow and task runs, logs, the forecast artifact) and writes its CSV to a local folder.",
        "",
        *table(
            ["what", f"wall time ({n} repetitions)", "data bytes read"],
            [
                [
                    "`covid_prediction` for Madrid, Spain",
                    timing(result["flow_seconds"]),
                    f"{megabytes(result['flow_bytes_read'])} ({result['flow_files_read']} file)",
                ],
                [
                    "floor: read + parse the CSV, one `predict`",
                    timing(result["floor_seconds"]),
                    megabytes(result["floor_bytes_read"]),
                ],
                [
                    "an empty Prefect flow run (no task, no I/O)",
                    timing(result["empty_flow_seconds"]),
                    "-",
                ],
                [
                    "loading the model by run id (inside the flow)",
                    timing(result["model_load_seconds"]),
                    "-",
                ],
                [
                    "`covid_prediction`, Prefect's flow-run heartbeats off",
                    timing(result["no_heartbeat_flow_seconds"]),
                    megabytes(result["flow_bytes_read"]),
                ],
                [
                    "an empty Prefect flow run, heartbeats off",
                    timing(result["no_heartbeat_empty_flow_seconds"]),
                    "-",
                ],
            ],
        ),
        "",
        f"The flow takes {ratio(floor_s, flow_s)} the floor's time and reads "
        f"{ratio(result['floor_bytes_read'], result['flow_bytes_read'])} its bytes (one report, "
        f"fetched once). An empty Prefect flow run takes {seconds(empty_s)}, "
        f"{min(empty_s / flow_s, 1):.0%} of the forecast's time: the gap to the floor is "
        "Prefect's own cost per flow run, paid once per run, not per byte or per region. "
        "With Prefect's flow-run heartbeats off (setting `flows.heartbeat_frequency` to None) "
        f"the empty run takes {seconds(quiet_empty)} and the forecast {seconds(quiet_flow)}, "
        f"{ratio(floor_s, quiet_flow)} the floor, of which "
        f"{seconds(max(quiet_flow - quiet_empty, 0))} "
        "is the forecast's own work over an empty run (three tasks, the model load, the CSV "
        "and the artifact). The rest of the default run's time is Prefect 3.9.1 ending every "
        "run by joining its heartbeat thread, which sleeps in 1-second steps "
        "(`_send_heartbeats` in `prefect/flow_engine.py`). The deployments keep heartbeats on: "
        "they are how Prefect notices a crashed run.",
        "",
        f"{result['regions']} regions one after another in one process: "
        f"{seconds(result['all_regions_seconds'])} in total; the first forecast "
        f"{seconds(result['first_run_seconds'])} (the model was trained in the same process "
        "just before), then "
        f"{timing(result['further_region_seconds'])} per further region (median of "
        f"{len(result['further_region_seconds'])}, each a full flow run).",
        "",
    ]


def verdict(value: float, bounds: tuple[float, float], unit: str = "x") -> str:
    """How `value` compares with a (target, goal) pair where lower is better."""
    target, goal = bounds
    if value <= goal:
        return f"meets the goal of {goal:g}{unit}"
    if value <= target:
        return f"meets the target of {target:g}{unit}, not the goal of {goal:g}{unit}"
    return f"misses the target of {target:g}{unit}"


# The requirement file each image target installs.
FOOTPRINT_FILES = {"flow": "requirements-flow.txt", "worker": "requirements-worker.txt"}


def footprint(result: dict[str, Any]) -> list[str]:
    """Footprint section: both images' payloads, the flow image's cold import and memory."""
    dev = result["dev_bytes"]
    rows = [
        [
            f"{name} image (`{FOOTPRINT_FILES[name]}`)",
            image["distributions"],
            megabytes(image["bytes"]),
            f"{image['bytes'] / dev:.2f}x",
            ", ".join(f"{n} {megabytes(size)}" for n, size in image["largest"][:5]),
        ]
        for name, image in result["images"].items()
    ]
    rows.append(
        [
            "full dev environment (`requirements-dev.txt`)",
            result["dev_distributions"],
            megabytes(dev),
            "1.00x",
            "files under `.venv`'s site-packages",
        ]
    )
    from bench.footprint import IMPORT_SECONDS, PAYLOAD_RATIO

    flow = result["images"]["flow"]
    imports = result["imports"]
    run = result["forecast_run"]
    share = flow["bytes"] / dev
    flows = imports["import flow.flows"]
    flows_s, flows_process = median(flows["statement"]), median(flows["process"])
    prefect_s = median(imports["import prefect"]["statement"])
    alone = median(imports["interpreter alone"]["process"])
    body = median(imports["import flow.flows + flow.runs.prediction"]["statement"]) - flows_s
    return [
        "## Footprint",
        "",
        f"Payload = the RECORD files of every distribution a target installs (pip and setuptools "
        f"left out), measured as {result['measured_as']}.",
        "",
        *table(["image", "distributions", "payload", "of the dev env", "largest"], rows),
        "",
        f"The flow image carries {share:.2f}x the dev environment's payload "
        f"({verdict(share, PAYLOAD_RATIO)}); of scipy, scikit-learn, skops, SQLAlchemy, alembic "
        f"and prefect-aws it has {', '.join(flow['unwanted']) or 'none'}.",
        "",
        *table(
            [
                "cold, in the flow image's environment",
                f"the statement itself ({result['repetitions']} runs)",
                "whole process: start, statement, exit",
            ],
            [
                [f"`{label}`", timing(values["statement"]), timing(values["process"])]
                for label, values in imports.items()
            ],
        ),
        "",
        f"`import flow.flows` takes {seconds(flows_s)} in a fresh interpreter "
        f"({verdict(flows_s, IMPORT_SECONDS, 's')}) and {seconds(flows_process)} as a whole "
        f"process ({verdict(flows_process, IMPORT_SECONDS, 's')}); of the process, "
        f"{seconds(alone)} is the interpreter starting and exiting with nothing imported and "
        f"{seconds(max(flows_process - flows_s - alone, 0.0))} the exit's final garbage "
        f"collection over what was imported. `import prefect` alone takes {seconds(prefect_s)} "
        f"({prefect_s / flows_s:.0%} of the import): the goal of 0.5 s is below Prefect's own "
        "import here. The rest is the three `@flow` decorators (Prefect builds each flow's "
        "parameter schema at import). pandas, numpy, the models and MLflow are not imported "
        "by `flow.flows`: the body of the flow being run (`flow.runs`) brings them once the run "
        f"is marked Running, {seconds(max(body, 0.0))} more for a forecast (the last row), paid "
        "inside the forecast run's time below, not saved.",
        "",
        f"One forecast run as the ECS task runs it (a real deployment of `covid-prediction`, "
        f"{run['region']}, started with `{run['command']}` by the flow environment's python): "
        f"{run['state']}, exit code {run['returncode']}, {seconds(run['seconds'])}, peak RSS "
        f"{megabytes(run['peak_rss_bytes'])}.",
        "",
    ]


def scale(result: dict[str, Any]) -> list[str]:
    """Scale section."""
    rows = []
    for row in result["rows"]:
        own, shared = row["self_contained"], row["shared"]
        rows.append(
            [
                row["cities"],
                f"{own['aws_resources']:g}",
                f"{own['always_on_tasks']:g}",
                usd(own["usd_per_month"]),
                f"{shared['aws_resources']:g}",
                f"{shared['always_on_tasks']:g}",
                usd(shared["usd_per_month"]),
                ratio(shared["usd_per_month"], own["usd_per_month"]),
            ]
        )
    per_city = result["per_city"]
    return [
        "## Scale on paper, checked under mocks",
        "",
        f"Every stack below was run through the real program under Pulumi mocks "
        f"({result['stacks_run']} runs, {seconds(median(result['seconds_per_stack']))} each). "
        f"A self-contained city declares {per_city['self_contained']['aws_resources']:g} AWS "
        f"resources and {per_city['self_contained']['prefect_objects']:g} Prefect objects; a "
        f"shared-mode city {per_city['shared']['aws_resources']:g} AWS resources and "
        f"{per_city['shared']['prefect_objects']:g} Prefect objects (its deployments). "
        "Always-on = tasks of ECS services, each a Fargate worker of "
        f"{result['worker_cpu']} CPU units / {result['worker_memory']} MiB: "
        f"{usd(result['worker_usd_month'])} a month at the AWS list price for eu-west-1, "
        "Linux/x86 ($0.04048 per vCPU-hour, $0.004445 per GB-hour, 730 hours; list prices to "
        "check before quoting). Flow-run tasks, S3, logs and ECR storage are billed per use "
        "and left out.",
        "",
        *table(
            [
                "cities",
                "self-contained: AWS resources",
                "always-on tasks",
                "$/month",
                "shared: AWS resources",
                "always-on tasks",
                "$/month",
                "self-contained / shared cost",
            ],
            rows,
        ),
        "",
    ]


def _source_data(result: dict[str, Any]) -> list[str]:
    # bench.reliability imports table() from this module, hence the late import.
    from bench.reliability import source_data_section

    return [*source_data_section(result["source_data"]), ""] if "source_data" in result else []


def reliability(result: dict[str, Any]) -> list[str]:
    """Reliability section."""
    tests, leaks, iam = result["tests"], result["leaks"], result["iam"]
    every = result["config_all_at_once"]
    config_rows = [
        [f"`{r['key']}`", f"`{r['value']}`", r["error"] or "**accepted**"] for r in result["config"]
    ]
    check_rows = [
        [r["resource"], f"`{r['input']}`", f"`{r['property']}`", r["reason"] or "**accepted**"]
        for r in result["checks"]["rows"]
    ]
    fault_rows = [
        [
            f["fault"],
            f"{f['attempts']} attempts, backoff {', '.join(f'{w:g} s' for w in f['waits'])}",
            f["message"] or "**no error**",
            "yes" if f["key_in_message"] else "no",
        ]
        for f in result["faults"]
    ]
    scanned = leaks["scanned"]
    return [
        "## Reliability",
        "",
        "### Bad stack config",
        "",
        "Each value alone on an otherwise valid stack (madrid; `dev` for the local platform), "
        "with the message `pulumi preview` prints for its key (from `infra.config`, this run):",
        "",
        *table(["key", "value", "error shown"], config_rows),
        "",
        f"All {every['bad_keys']} single-key mistakes at once: one error listing "
        f"{every['problems_reported']} problems. The program run under mocks with a bad cron "
        f"registered {result['resources_before_config_error']} resources before failing.",
        "",
        "### Bad resource inputs",
        "",
        "Each input to the provider's `check()` (what `pulumi preview` calls) and the "
        f"`CheckFailure` it returned; these checks made {result['checks']['requests']} HTTP "
        "requests in total:",
        "",
        *table(["resource", "bad input", "property", "reason"], check_rows),
        "",
        *_source_data(result),
        "### Faults",
        "",
        "The error a user sees, produced in this run by a work pool `create` with an API key "
        "configured (retry waits recorded, not slept):",
        "",
        *table(["fault", "retries", "error shown", "API key in message"], fault_rows),
        "",
        f"Faults injected and scans run by the test suite, outcome in this run "
        f"({seconds(tests['seconds'])} including its own Prefect server):",
        "",
        *table(["fault / scan", "test outcome"], [[k, v] for k, v in tests["faults"].items()]),
        "",
        "Bad-input test files: "
        + "; ".join(
            f"`{path}` {c['passed']}/{c['run']} passed"
            for path, c in tests["bad_input_files"].items()
        )
        + ".",
        "",
        "### Secrets and IAM",
        "",
        f"Secret-leak scan of the madrid stack under mocks, once with a canary API key and once "
        f"with a canary auth string: {scanned['strings']} plaintext strings in the inputs of "
        f"{scanned['resources']} resources, {scanned['provider_pickles']} serialized providers "
        f"and {scanned['outputs']} stack outputs searched: **{len(leaks['leaks'])} leaks**"
        + (f" ({', '.join(leaks['leaks'])})" if leaks["leaks"] else "")
        + ".",
        "",
        f"IAM policies registered under mocks: {iam['policies']} policies, {iam['statements']} "
        f'statements; `Action: "*"` or `service:*`: **{len(iam["star_actions"])}**; '
        f'`Resource: "*"`: **{len(iam["resource_star_actions"])} actions** '
        f"({', '.join(f'`{a}`' for a in iam['resource_star_actions'])}), "
        + (
            "exactly the allow-list `WILDCARD_RESOURCE_ACTIONS` in `infra/aws/iam.py`, which "
            "says why each has no narrower resource."
            if iam["resource_star_actions"] == iam["allow_listed"]
            else f"while the allow-list holds {', '.join(iam['allow_listed'])}."
        ),
        "",
    ]


def plan(result: dict[str, Any]) -> list[str]:
    """`make plan` speed section."""

    def both(figures: dict[str, list[float]]) -> str:
        return f"{timing(figures['wall'])}; CPU {seconds(median(figures['cpu']))}"

    rows = [
        [f"`make plan STACK={stack}`", both(figures["text"]), both(figures["json"])]
        for stack, figures in result["stacks"].items()
    ]
    return [
        "## Offline plan (`make plan`, `make plan-diff`)",
        "",
        "A fresh `python -m infra.plan` process per repetition: interpreter start, imports, the "
        "real program under Pulumi's mocks with the stack's files, rendering; what "
        f"`make plan STACK=<stack>` costs. Budget: under {result['budget_seconds']:g} s. Wall "
        "time moves with the machine's load; the processes' CPU time (user + system) much less.",
        "",
        *table(["command", "text: wall; CPU", "`--json`: wall; CPU"], rows),
        "",
        "`make plan-diff STACK=madrid BASE=HEAD` (a `git archive` of the base and a second plan in "
        f"a subprocess): {both(result['diff_madrid'])}.",
        "",
    ]


def skill(result: dict[str, Any]) -> list[str]:
    """Forecast skill section (rendered by bench.skill, imported here to avoid a cycle)."""
    from bench.skill import section

    return section(result)


SECTIONS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "churn": churn,
    "flow_run": flow_run,
    "footprint": footprint,
    "scale": scale,
    "reliability": reliability,
    "plan": plan,
    "skill": skill,
}


def summary(results: dict[str, Any]) -> list[str]:
    """The headline figures, each against the alternative measured in the same run."""
    rows: list[list[str]] = []
    if "churn" in results:
        ours, theirs = results["churn"]["ours"], results["churn"]["prefect_deploy"]
        command = results["churn"]["ours_command"]
        for step in ("no-op", "run_id change"):
            rows.append(
                [
                    f"HTTP requests, {step}",
                    f"{median(ours[step]['requests']):g}",
                    f"`prefect deploy` {median(theirs[step]['requests']):g}",
                    ratio(median(ours[step]["requests"]), median(theirs[step]["requests"])),
                ]
            )
        ours_s, theirs_s = command["run_id change"]["seconds"], theirs["run_id change"]["seconds"]
        rows.append(
            [
                "`run_id` rollout as a command",
                seconds(median(ours_s)),
                f"`prefect deploy` {seconds(median(theirs_s))}",
                ratio(median(ours_s), median(theirs_s)),
            ]
        )
    if "flow_run" in results:
        flow = results["flow_run"]
        rows.append(
            [
                "one forecast, wall time",
                seconds(median(flow["flow_seconds"])),
                f"floor {seconds(median(flow['floor_seconds']))}",
                ratio(median(flow["floor_seconds"]), median(flow["flow_seconds"])) + " the floor",
            ]
        )
        rows.append(
            [
                "one forecast vs any Prefect flow run",
                seconds(median(flow["flow_seconds"])),
                f"empty flow {seconds(median(flow['empty_flow_seconds']))}",
                ratio(median(flow["empty_flow_seconds"]), median(flow["flow_seconds"])),
            ]
        )
        rows.append(
            [
                "one forecast, data read",
                megabytes(flow["flow_bytes_read"]),
                f"floor {megabytes(flow['floor_bytes_read'])}",
                ratio(flow["floor_bytes_read"], flow["flow_bytes_read"]) + " the floor",
            ]
        )
    if "footprint" in results:
        from bench.footprint import payload

        size = payload(results["footprint"])[0]
        dev = results["footprint"]["dev_bytes"]
        rows.append(
            [
                "flow image Python payload",
                megabytes(size),
                f"dev env {megabytes(dev)}",
                f"{size / dev:.2f}x the dev env",
            ]
        )
    if "scale" in results:
        last = results["scale"]["rows"][-1]
        own, shared = last["self_contained"]["usd_per_month"], last["shared"]["usd_per_month"]
        rows.append(
            [
                f"always-on cost, {last['cities']} cities (shared mode)",
                f"{usd(shared)}/month",
                f"self-contained {usd(own)}/month",
                ratio(shared, own),
            ]
        )
    if "plan" in results:
        madrid = median(results["plan"]["stacks"]["madrid"]["text"]["wall"])
        budget = results["plan"]["budget_seconds"]
        rows.append(
            [
                "`make plan STACK=madrid`, wall time",
                seconds(madrid),
                f"budget {seconds(budget)}",
                ratio(madrid, budget),
            ]
        )
    if "skill" in results:
        hub = next(row for row in results["skill"]["hub"]["table"] if row["horizon"] == "all")
        rows.append(
            [
                "forecast WIS, hub backtest (26 weeks x 53 locations)",
                f"{hub['wis']:.1f} (relative {hub['relative_wis']:.3f})",
                f"flat baseline {hub['baseline_wis']:.1f}",
                ratio(hub["wis"], hub["baseline_wis"]),
            ]
        )
    if "reliability" in results:
        rel = results["reliability"]
        refused = sum(1 for r in rel["config"] if r["error"])
        checked = [r for r in rel["checks"]["rows"] if r["reason"]]
        rows.append(
            [
                "bad inputs refused before any request",
                f"{refused + len(checked)}/{len(rel['config']) + len(rel['checks']['rows'])}",
                "-",
                "-",
            ]
        )
        rows.append(["secrets found in plaintext", str(len(rel["leaks"]["leaks"])), "-", "-"])
    return table(["figure", "ours", "alternative (same run)", "ratio"], rows)


def render(results: dict[str, Any]) -> str:
    """The whole benchmarks page."""
    meta = results["meta"]
    machine = meta["machine"]
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m bench`) from `bench/results.json`; do not edit by "
        "hand, re-run it.",
        "",
        f"- Taken {meta['taken']} at commit `{meta['commit']}`, whole run "
        f"{seconds(meta['seconds'])}.",
        f"- Machine: {machine['cpu']} ({machine['cores']} cores), {machine['memory']} RAM, "
        f"{machine['os']}; Python {machine['python']}; "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
        + ".",
        f"- Repetitions: {meta['repetitions']} per timing (median quoted). {NOISE}",
        "- Reproduce: `make bench` (everything, rewrites this page and `bench/results.json`); "
        "`.venv/bin/python -m bench --only churn` (one benchmark, printed only; names: "
        + ", ".join(f"`{name}`" for name in SECTIONS)
        + "); `--skip-install` measures the image payloads from `.venv-flow` (`make flow-env`) and "
        "this virtualenv instead of fresh `pip install`s; `--repetitions N`.",
        "",
        "## Summary",
        "",
        *summary(results),
        "",
    ]
    for name, section in SECTIONS.items():
        if name in results:
            out += section(results[name])
    return "\n".join(out).rstrip() + "\n"
