"""docs/benchmarks.md as rendered from a run's results: machine, repetitions, ratios, verdicts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.report import render, table

STEPS = ("first create", "no-op", "run_id change", "schedule change", "destroy")


def figures(seconds: list[float], requests: int, writes: int) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "requests": [requests] * len(seconds),
        "writes": [writes] * len(seconds),
        "calls": ["GET /csrf-token", "PATCH /deployments/1"][:requests],
    }


def results() -> dict[str, Any]:
    five = [1.0, 1.01, 1.02, 0.99, 1.0]
    counts = ((10, 4), (0, 0), (2, 1), (2, 1), (6, 3))
    ours = {step: figures(five, n, w) for step, (n, w) in zip(STEPS, counts, strict=True)}
    command = {
        "first deploy": figures([2.0] * 5, 10, 4),
        "no-op": figures([1.5] * 5, 0, 0),
        "run_id change": figures([1.6] * 5, 2, 1),
    }
    theirs = {step: figures([3.6] * 5, 9, 3) for step in command}
    inventory = {"aws_resources": 24, "prefect_objects": 3, "always_on_tasks": 1.0}
    return {
        "meta": {
            "taken": "2026-11-25 23:59 UTC",
            "commit": "abc1234",
            "seconds": 215.0,
            "repetitions": 5,
            "machine": {
                "cpu": "AMD EPYC",
                "cores": 2,
                "memory": "23 GiB",
                "os": "Linux 6.1 (x86_64)",
                "python": "3.11.7",
                "packages": {"prefect": "3.9.1"},
            },
        },
        "churn": {"repetitions": 5, "ours": ours}
        | {"ours_command": command, "prefect_deploy": theirs},
        "flow_run": {
            "source": "real JHU",
            "repetitions": 5,
            "first_run_seconds": 1.1,
            "flow_seconds": five,
            "flow_bytes_read": 555_933,
            "flow_files_read": 1,
            "floor_seconds": [0.0027] * 5,
            "floor_bytes_read": 555_933,
            "model_load_seconds": [0.02] * 5,
            "empty_flow_seconds": [1.0] * 5,
            "no_heartbeat_flow_seconds": [0.1] * 5,
            "no_heartbeat_empty_flow_seconds": [0.07] * 5,
            "regions": 3,
            "further_region_seconds": [1.0, 1.1],
            "all_regions_seconds": 3.2,
        },
        "footprint": {
            "repetitions": 5,
            "measured_as": "fresh `pip install` into new venvs",
            "images": {
                "flow": {
                    "bytes": 346_000_000,
                    "distributions": 105,
                    "largest": [["pandas", 80_700_000], ["numpy", 71_400_000]],
                    "unwanted": [],
                    "install_seconds": 33.0,
                },
                "worker": {
                    "bytes": 230_000_000,
                    "distributions": 120,
                    "largest": [["prefect", 34_000_000]],
                    "unwanted": ["alembic", "prefect-aws", "sqlalchemy"],
                    "install_seconds": 40.0,
                },
            },
            "dev_distributions": 210,
            "dev_bytes": 1_565_000_000,
            "imports": {
                "interpreter alone": {"statement": [0.0] * 5, "process": [0.02] * 5},
                "import pandas": {"statement": [0.2] * 5, "process": [0.3] * 5},
                "import prefect": {"statement": [0.8] * 5, "process": [1.0] * 5},
                "import flow.flows": {"statement": [0.9] * 5, "process": [1.12] * 5},
                "import flow.flows + flow.runs.prediction": {
                    "statement": [1.2] * 5,
                    "process": [1.5] * 5,
                },
            },
            "forecast_run": {
                "command": "python -m flow.engine",
                "region": "Madrid (Spain)",
                "returncode": 0,
                "state": "COMPLETED",
                "seconds": 6.5,
                "peak_rss_bytes": 250_000_000,
                "log_tail": "",
            },
        },
        "scale": {
            "stacks_run": 199,
            "seconds_per_stack": [0.045],
            "worker_cpu": 256,
            "worker_memory": 512,
            "worker_usd_month": 9.01,
            "per_city": {
                "self_contained": {**inventory, "usd_per_month": 9.01},
                "shared": {"aws_resources": 0, "prefect_objects": 2, "always_on_tasks": 0.0}
                | {"usd_per_month": 0.0},
            },
            "rows": [
                {
                    "cities": 100,
                    "self_contained": {"aws_resources": 2400, "always_on_tasks": 100.0}
                    | {"usd_per_month": 901.0},
                    "shared": {"aws_resources": 24, "always_on_tasks": 1.0, "usd_per_month": 9.01},
                }
            ],
        },
        "reliability": {
            "config": [
                {"stack": "madrid", "key": "runId", "value": "'latest'", "error": "must be an id"}
            ],
            "config_all_at_once": {"bad_keys": 15, "problems_reported": 15},
            "resources_before_config_error": 0,
            "checks": {
                "rows": [
                    {"resource": "deployment", "input": "{'name': ''}", "property": "name"}
                    | {"reason": "`name` must be a non-empty string"}
                ],
                "requests": 0,
            },
            "faults": [
                {
                    "fault": "connection refused",
                    "message": "Prefect work pool 'p': create failed at http://x/api: ...",
                    "attempts": 4,
                    "waits": [0.5, 1.0, 2.0],
                    "seconds": 0.04,
                    "key_in_message": False,
                }
            ],
            "leaks": {
                "scanned": {"resources": 76, "strings": 624, "provider_pickles": 8, "outputs": 30},
                "leaks": [],
            },
            "iam": {
                "policies": 3,
                "statements": 15,
                "star_actions": [],
                "resource_star_actions": ["ecr:GetAuthorizationToken"],
                "allow_listed": ["ecr:GetAuthorizationToken"],
            },
            "tests": {
                "seconds": 15.0,
                "faults": {"HTTP 500 on every attempt": "passed"},
                "bad_input_files": {"tests/unit/test_config.py": {"passed": 47, "run": 47}},
            },
        },
    }


def test_the_page_states_machine_commit_repetitions_and_how_to_reproduce() -> None:
    page = render(results())
    assert "AMD EPYC (2 cores)" in page
    assert "`abc1234`" in page
    assert "Repetitions: 5 per timing" in page
    assert "`make bench`" in page and "--only churn" in page
    for heading in ("## Summary", "## Deploy churn", "## Flow run", "## Footprint", "## Scale"):
        assert heading in page
    assert "## Reliability" in page


def test_summary_quotes_each_figure_against_the_alternative_of_the_same_run() -> None:
    page = render(results())
    assert "| HTTP requests, no-op | 0 | `prefect deploy` 9 | 9 vs 0 |" in page
    assert "| HTTP requests, run_id change | 2 | `prefect deploy` 9 | 4.5x |" in page
    assert "| `run_id` rollout as a command | 1.60 s | `prefect deploy` 3.60 s | 2.2x |" in page
    assert "| one forecast vs any Prefect flow run | 1.00 s | empty flow 1.00 s | 1.0x |" in page
    assert (
        "| flow image Python payload | 346.0 MB | dev env 1565.0 MB | 0.22x the dev env |" in page
    )
    assert "| worker image (`requirements-worker.txt`) | 120 | 230.0 MB | 0.15x |" in page
    assert "peak RSS 250.0 MB" in page
    assert "0.22x the dev environment's payload (meets the target of 0.25x, not the goal" in page
    assert "takes 900.0 ms in a fresh interpreter (meets the target of 1s, not the goal" in page
    assert "and 1.12 s as a whole process (misses the target of 1s)" in page
    assert "20.0 ms is the interpreter starting and exiting" in page
    assert "200.0 ms the exit's final garbage collection" in page
    assert "`import prefect` alone takes 800.0 ms (89% of the import)" in page
    assert "300.0 ms more for a forecast" in page
    assert "$9.01/month | self-contained $901.00/month | 100.0x |" in page
    assert "| secrets found in plaintext | 0 |" in page


def test_targets_and_regressions_show_instead_of_hiding() -> None:
    good = render(results())
    assert "a no-op makes zero requests: **met**" in good
    assert "a `run_id` change makes one write: **met**" in good

    bad = copy.deepcopy(results())
    bad["churn"]["ours"]["run_id change"]["writes"] = [2] * 5
    bad["reliability"]["config"][0]["error"] = None
    page = render(bad)
    assert "a `run_id` change makes one write: **NOT MET**" in page
    assert "| `runId` | `'latest'` | **accepted** |" in page


def test_noisy_timings_are_marked() -> None:
    noisy = copy.deepcopy(results())
    noisy["flow_run"]["flow_seconds"] = [1.0, 1.0, 1.0, 2.0, 1.6]
    assert "1.00 s (1.00 s-2.00 s) *(noisy)*" in render(noisy)
    assert "s *(noisy)*" not in render(results())


def test_table_cells_cannot_break_the_markdown() -> None:
    assert table(["a", "b"], [["x|y", "two\nlines"]]) == [
        "| a | b |",
        "| --- | --- |",
        "| x\\|y | two lines |",
    ]


@pytest.mark.parametrize("missing", ["churn", "flow_run", "footprint", "scale", "reliability"])
def test_a_page_renders_without_any_one_section(missing: str) -> None:
    partial = results()
    del partial[missing]
    assert "## Summary" in render(partial)
