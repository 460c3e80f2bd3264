"""Real local servers for tests: a Prefect API server (subprocess) and moto's S3 (in-process).

Each server listens on a free loopback port and is stopped by the PID this module started.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from demo.processes import (
    free_port,
    prefect_env,
    start_prefect_server,
    start_process_worker,
    stop_process,
    wait_http_ok,
)

__all__ = [
    "MotoS3",
    "PrefectServer",
    "free_port",
    "prefect_env",
    "prefect_server_env",
    "run_moto_server",
    "run_prefect_server",
    "start_process_worker",
    "stop_process",
]


@dataclass(frozen=True)
class PrefectServer:
    """A running Prefect API server."""

    api_url: str
    home: Path
    process: subprocess.Popen[bytes]


def prefect_server_env(home: Path, api_url: str) -> dict[str, str]:
    """Environment for a worker or client of a test server (no UI)."""
    return prefect_env(home, api_url)


@contextlib.contextmanager
def run_prefect_server(
    home: Path, port: int | None = None, timeout_s: float = 120
) -> Iterator[PrefectServer]:
    """Start `prefect server start` on a free loopback port; stop it on exit."""
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    home.mkdir(parents=True, exist_ok=True)
    proc = start_prefect_server(home, port, home / "server.log")
    try:
        wait_http_ok(f"{api_url}/health", timeout_s, proc)
        yield PrefectServer(api_url=api_url, home=home, process=proc)
    finally:
        stop_process(proc)


@dataclass(frozen=True)
class MotoS3:
    """moto in server mode: an S3-compatible endpoint on loopback."""

    endpoint_url: str


@contextlib.contextmanager
def run_moto_server() -> Iterator[MotoS3]:
    """Start moto's ThreadedMotoServer on a free loopback port; stop it on exit."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield MotoS3(endpoint_url=f"http://127.0.0.1:{port}")
    finally:
        server.stop()
