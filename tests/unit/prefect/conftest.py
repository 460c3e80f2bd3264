"""Unit tests of the providers never reach a server: the API URL points at a closed port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from infra.prefect.client import record_requests
from tests.servers import free_port


@pytest.fixture(autouse=True)
def unreachable_prefect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request a unit test made by mistake would fail instead of reaching a server."""
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")


@pytest.fixture
def requests_made() -> Iterator[list[httpx.Request]]:
    """Every HTTP attempt the providers make during the test."""
    with record_requests() as seen:
        yield seen
