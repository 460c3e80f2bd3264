"""Session-wide fixtures: one real Prefect server and one moto S3 server, started on demand.

The environment is pointed at throwaway locations *before* Prefect is imported, so no test
touches ~/.prefect and every Prefect client in this process (and every worker subprocess it
starts) talks to the session's server.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import MotoS3, PrefectServer, free_port, run_moto_server, run_prefect_server

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="covid-forecast-tests-"))
_PREFECT_PORT = free_port()
PREFECT_API_URL = f"http://127.0.0.1:{_PREFECT_PORT}/api"

os.environ.update(
    {
        "PREFECT_HOME": str(_SESSION_DIR / "prefect-home"),
        "PREFECT_API_URL": PREFECT_API_URL,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Tests must never wait on the network: fail fast instead of the default 30 s.
        "PREFECT_API_REQUEST_TIMEOUT": "30",
        # Dummy credentials: boto3 and MLflow only ever reach moto on loopback.
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MLFLOW_ENABLE_ASYNC_LOGGING": "false",
    }
)
for _var in (
    "PREFECT_API_KEY",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "PREFECT_API_AUTH_STRING",
    "MLFLOW_TRACKING_URI",
):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def session_dir() -> Path:
    """A temporary folder that lives for the whole test session."""
    return _SESSION_DIR


@pytest.fixture(scope="session")
def prefect_server(session_dir: Path) -> Iterator[PrefectServer]:
    """The session's real Prefect server (SQLite under a temp PREFECT_HOME).

    `PREFECT_API_URL` already points at it, so `get_client()`, flows and workers use it.
    """
    with run_prefect_server(session_dir / "prefect-home", port=_PREFECT_PORT) as server:
        try:
            yield server
        finally:
            # Flush flow-run logs while the server is still up; otherwise Prefect's log worker
            # retries against the stopped server for about a minute at interpreter exit.
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=10)


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """moto's S3 in server mode; boto3 and MLflow are pointed at it."""
    with run_moto_server() as server:
        saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL_S3", "MLFLOW_S3_ENDPOINT_URL")}
        os.environ["AWS_ENDPOINT_URL_S3"] = server.endpoint_url
        os.environ["MLFLOW_S3_ENDPOINT_URL"] = server.endpoint_url
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(autouse=True)
def _current_event_loop() -> None:
    """Give the main thread an event loop again after code that used `asyncio.run`.

    `asyncio.run` (Prefect's sync client, flows) leaves the thread with none, and Pulumi's mocks
    need one to register resources; without this, mocks tests fail depending on test order.
    """
    policy = asyncio.get_event_loop_policy()
    try:
        loop = policy.get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        policy.set_event_loop(policy.new_event_loop())
