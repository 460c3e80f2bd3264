"""One throwaway local Prefect server for the benchmarks that need an API.

Prefect reads its settings once, when it is first imported, so `point_prefect_at` must run
before anything imports Prefect: it picks the port and the PREFECT_HOME and exports them, and
`prefect_server` later starts the server there. Otherwise in-process flows would silently run
against Prefect's own temporary server instead of the one being measured.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from demo.processes import free_port, prefect_env, start_prefect_server, stop_process, wait_http_ok

# Variables that would point the benchmark at someone's real workspace.
_FOREIGN = ("PREFECT_API_KEY", "PREFECT_API_AUTH_STRING", "PREFECT_PROFILE", "MLFLOW_TRACKING_URI")


@dataclass(frozen=True)
class ServerPlan:
    """Where the benchmark's Prefect server will listen and keep its SQLite database."""

    home: Path
    port: int

    @property
    def api_url(self) -> str:
        """The API URL clients use."""
        return f"http://127.0.0.1:{self.port}/api"


def point_prefect_at(workdir: Path) -> ServerPlan:
    """Export the Prefect settings of a server under `workdir` (not started yet)."""
    if "prefect" in sys.modules:
        raise RuntimeError("point_prefect_at must run before Prefect is imported")
    plan = ServerPlan(home=workdir / "prefect-home", port=free_port())
    for name in _FOREIGN:
        os.environ.pop(name, None)
    os.environ.update(prefect_env(plan.home, plan.api_url))
    # The flows log every task at INFO; the benchmark prints its own figures instead.
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
    return plan


@contextmanager
def prefect_server(plan: ServerPlan) -> Iterator[str]:
    """Start the planned server, yield its API URL, stop it by PID on exit."""
    proc = start_prefect_server(plan.home, plan.port, plan.home.parent / "server.log")
    try:
        wait_http_ok(f"{plan.api_url}/health", 120, proc)
        yield plan.api_url
    finally:
        try:
            if "prefect" in sys.modules:
                from prefect.logging.handlers import APILogWorker

                # Send queued flow-run logs while the server is still up.
                APILogWorker.drain_all(timeout=10)
        finally:
            stop_process(proc)
