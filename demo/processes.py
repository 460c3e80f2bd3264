"""Start and stop the local Prefect server and worker processes (demo and tests).

Every process is started in its own session so it can be stopped as a group, by the PID we
recorded, and by nothing else.
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
from pathlib import Path

PREFECT_BIN = Path(sys.executable).with_name("prefect")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As servers bind: a socket of a stopped server lingering in TIME_WAIT does not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def http_ok(url: str) -> bool:
    """True when `url` answers 200 within two seconds."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
            return bool(resp.status == 200)
    except OSError:
        return False


def wait_http_ok(url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll `url` until it answers 200; fail early if `proc` died, or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before {url} answered")
        if http_ok(url):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f}s")


def pid_alive(pid: int) -> bool:
    """True when a process with this PID exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(pid: int, grace_s: float = 15.0) -> None:
    """Stop the process group led by `pid`: SIGTERM, then SIGINT, then SIGKILL.

    A Prefect worker ignores a single SIGTERM, hence the SIGINT second step.
    """
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + grace_s / 2
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap our own child so it stops being "alive"
            if not pid_alive(pid):
                return
            time.sleep(0.1)


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 15.0) -> None:
    """Stop a process this program started (and its group)."""
    if proc.poll() is None:
        stop_group(proc.pid, grace_s)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def prefect_env(home: Path, api_url: str, ui: bool = False) -> dict[str, str]:
    """Environment for a Prefect server, worker or client bound to one PREFECT_HOME."""
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "true" if ui else "false",
            # The scheduler creates runs within seconds instead of every 60 s.
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1",
        }
    )
    return env


def start_prefect_server(
    home: Path, port: int, log_path: Path, ui: bool = False
) -> subprocess.Popen[bytes]:
    """`prefect server start` on 127.0.0.1:`port` with SQLite under `home` (not yet healthy)."""
    home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://127.0.0.1:{port}/api"
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [str(PREFECT_BIN), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=prefect_env(home, api_url, ui),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_process_worker(
    pool: str, env: dict[str, str], log_path: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """`prefect worker start --type process` polling `pool` (checks every 2 s)."""
    worker_env = {**env, "PREFECT_WORKER_QUERY_SECONDS": "2"}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [str(PREFECT_BIN), "worker", "start", "--pool", pool, "--type", "process"],
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
        )
