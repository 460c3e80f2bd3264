"""No overlapping runs: two runs of one deployment started together, a real process worker,
the stack's concurrency settings (limit 1, CANCEL_NEW) -> one run completes and writes the
result, the other is cancelled before it starts.

The deployment gets exactly the concurrency inputs the stack config produces
(`infra.specs.concurrency_spec`); its flow is a small file that takes a few seconds and
writes one result file per run, so an overlap would show as two files.
"""

from __future__ import annotations

import os
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import StateType

from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from infra.specs import SET_WORKING_DIRECTORY, concurrency_spec
from tests.pulumi_harness import load_config
from tests.servers import start_process_worker, stop_process

pytestmark = pytest.mark.integration

FLOW = textwrap.dedent(
    """
    import time
    from pathlib import Path

    from prefect import flow
    from prefect.runtime import flow_run


    @flow(name="slow-forecast")
    def slow_forecast(results: str) -> None:
        time.sleep(6)  # long enough for the second run to collide with this one
        Path(results, f"{flow_run.id}.csv").write_text("forecast\\n")
    """
)


def wait_final(api: SyncPrefectClient, run_ids: list[uuid.UUID], timeout_s: float) -> list[Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = [api.read_flow_run(run_id) for run_id in run_ids]
        if all(run.state is not None and run.state.is_final() for run in runs):
            return runs
        time.sleep(1)
    raise TimeoutError(f"runs {run_ids} did not finish within {timeout_s:.0f}s")


def test_two_runs_started_together_one_result_and_one_cancelled(
    tmp_path: Path, api: SyncPrefectClient, unique: str
) -> None:
    (tmp_path / "slow_forecast.py").write_text(FLOW)
    results = tmp_path / "results"
    results.mkdir()
    pool = f"overlap-{unique}"
    WorkPoolProvider().create({"name": pool, "type": "process"})
    concurrency = concurrency_spec(load_config("dev"))
    assert concurrency == {
        "concurrency_limit": 1,
        "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
    }
    provider = DeploymentProvider()
    props = provider.check(
        {},
        {
            "flow_name": "slow-forecast",
            "name": unique,
            "entrypoint": "slow_forecast.py:slow_forecast",
            "work_pool_name": pool,
            "parameters": {"results": str(results)},
            "pull_steps": [{SET_WORKING_DIRECTORY: {"directory": str(tmp_path)}}],
            **concurrency,
        },
    ).inputs
    created = provider.create(props)
    try:
        # Both runs exist before the worker starts, so it picks them up in the same poll.
        runs = [api.create_flow_run_from_deployment(uuid.UUID(created.id)) for _ in range(2)]
        worker = start_process_worker(pool, dict(os.environ), tmp_path / "worker.log")
        try:
            finished = wait_final(api, [run.id for run in runs], timeout_s=120)
        finally:
            stop_process(worker)
        log = (tmp_path / "worker.log").read_text()[-3000:]
        states = sorted(run.state_type for run in finished)
        assert states == sorted([StateType.COMPLETED, StateType.CANCELLED]), log
        [completed] = [run for run in finished if run.state_type == StateType.COMPLETED]
        assert [p.name for p in results.iterdir()] == [f"{completed.id}.csv"]
    finally:
        provider.delete(created.id, props)
        WorkPoolProvider().delete(pool, {})
