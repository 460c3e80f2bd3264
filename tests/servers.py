"""Real local servers for tests: a Prefect API server (subprocess) and moto's S3 (in-process).

Each server listens on a free loopback port and is stopped by the PID this module started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PREFECT_BIN = Path(sys.executable).with_name("prefect")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http_ok(url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll `url` until it answers 200; fail early if `proc` died."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
                if resp.status == 200:
                    return
        except OSError as exc:
            last_error = exc
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f}s (last error: {last_error})")


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 15.0) -> None:
    """Stop a process we started (and its group): SIGTERM, then SIGINT, then SIGKILL.

    A Prefect worker ignores a single SIGTERM, hence the SIGINT second step.
    """
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace_s / 2)
            return
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@dataclass(frozen=True)
class PrefectServer:
    """A running Prefect API server."""

    api_url: str
    home: Path
    process: subprocess.Popen[bytes]


def prefect_server_env(home: Path, api_url: str) -> dict[str, str]:
    """Environment for a Prefect server/worker/client bound to one throwaway PREFECT_HOME."""
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            # The scheduler creates runs within seconds instead of every 60 s.
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
    )
    return env


@contextlib.contextmanager
def run_prefect_server(
    home: Path, port: int | None = None, timeout_s: float = 120
) -> Iterator[PrefectServer]:
    """Start `prefect server start` on a free loopback port; stop it on exit."""
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(PREFECT_BIN), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=prefect_server_env(home, api_url),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_http_ok(f"{api_url}/health", timeout_s, proc)
        yield PrefectServer(api_url=api_url, home=home, process=proc)
    finally:
        stop_process(proc)
        log.close()


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
