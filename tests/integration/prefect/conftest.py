"""Fixtures for the provider tests against the session's real Prefect server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client

from infra.prefect.client import RetryPolicy, record_requests
from tests.servers import PrefectServer

# Fault tests must not wait: record the delays the policy asks for instead of sleeping.
FAST_RETRIES = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05)


@pytest.fixture(autouse=True)
def _session_server(prefect_server: PrefectServer) -> PrefectServer:
    """Every test here talks to the session's server (PREFECT_API_URL points at it)."""
    return prefect_server


@pytest.fixture
def unique() -> str:
    """A short random suffix so tests sharing the session server never collide."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def api(prefect_server: PrefectServer) -> Iterator[SyncPrefectClient]:
    """A plain Prefect client for out-of-band edits and for looking at the server directly."""
    with get_client(sync_client=True) as client:
        yield client


@pytest.fixture
def requests_made() -> Iterator[list[httpx.Request]]:
    """Every HTTP attempt the providers make during the test."""
    with record_requests() as seen:
        yield seen


def calls(requests: list[httpx.Request]) -> list[str]:
    """`METHOD /path` of each request, without the `/api` prefix, for readable assertions."""
    return [f"{r.method} {r.url.path.removeprefix('/api')}" for r in requests]


def is_write(call: str) -> bool:
    """True for a `METHOD /path` that changes something on the server (filters only read)."""
    return not call.startswith("GET") and not call.endswith("/filter")


def writes(requests: list[httpx.Request]) -> list[str]:
    """The requests that change something on the server.

    A request repeated back to back is the transport retrying a transient 5xx (SQLite busy
    while the scheduler writes), not a second write: it counts once. The retry policy itself
    is tested on raw requests (test_faults.py).
    """
    made = [c for c in calls(requests) if is_write(c)]
    return [c for i, c in enumerate(made) if i == 0 or made[i - 1] != c]
