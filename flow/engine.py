"""`python -m flow.engine [FLOW_RUN_ID]`: how a flow-run container starts (the pool's `command`).

It runs Prefect's own engine, `python -m prefect.engine`, unchanged: the flow image has
prefect-client, which ships no `prefect` CLI, so the worker's default `prefect flow-run execute`
cannot start. The engine runs the flow run named by `PREFECT__FLOW_RUN_ID` (or the argument) and
exits 0 whenever that run reached a final state, Failed included, so ECS would show a forecast
that failed to write its result as a task that succeeded. This wrapper then reads the run's state
and exits 1 when it is Failed or Crashed (or cannot be read), 0 otherwise.
"""

from __future__ import annotations

import os
import runpy
import sys
from uuid import UUID

# The engine's own variable (prefect/engine.py); set by every Prefect worker.
FLOW_RUN_ID_ENV = "PREFECT__FLOW_RUN_ID"


def flow_run_id(argv: list[str], environ: dict[str, str] | os._Environ[str]) -> UUID | None:
    """The flow run the engine runs: the first argument, else `PREFECT__FLOW_RUN_ID`."""
    raw = argv[1] if len(argv) > 1 else environ.get(FLOW_RUN_ID_ENV, "")
    try:
        return UUID(raw)
    except ValueError:
        return None


def run_engine() -> int:
    """Run `prefect.engine` as `__main__`; its exit code (0 when it returns normally)."""
    try:
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
    except SystemExit as exited:
        if exited.code is None:
            return 0
        return exited.code if isinstance(exited.code, int) else 1
    return 0


def outcome_exit_code(run_id: UUID) -> int:
    """1 when the flow run ended Failed or Crashed or its state cannot be read, else 0."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run_id).state
    except Exception as exc:  # any failure to confirm the outcome must not look like success
        print(f"flow.engine: cannot read the state of flow run {run_id}: {exc!r}", file=sys.stderr)
        return 1
    if state is None or state.is_failed() or state.is_crashed():
        shown = state.name if state else "no state"
        print(f"flow.engine: flow run {run_id} ended {shown}: exit code 1", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    """The engine's exit code when it failed itself, else the flow run's outcome."""
    run_id = flow_run_id(sys.argv, os.environ)
    code = run_engine()
    if code != 0 or run_id is None:
        return code
    return outcome_exit_code(run_id)


if __name__ == "__main__":
    sys.exit(main())
