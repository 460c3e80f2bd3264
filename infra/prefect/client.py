"""The Prefect API client factory: bounded retries we own, and request observation for tests.

Prefect's own client retries 429/502/503 up to five times with 2^n-second sleeps and httpcore
retries refused connections; with both stacked, "bounded" would be hard to state. Here one
transport owns the whole policy: it retries connection failures, 429 and 5xx with capped
exponential backoff and then raises `PrefectUnavailableError`, which Prefect's client does not
catch, so every HTTP attempt is visible and counted once.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

    from infra.prefect.connection import PrefectConnection

RequestListener = Callable[[httpx.Request], None]

# Filled only while `record_requests()` is active (tests, benchmarks); empty otherwise.
_listeners: list[RequestListener] = []

_TRANSIENT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


class PrefectUnavailableError(Exception):
    """The Prefect API failed transiently (refused, timed out, 429 or 5xx) on every attempt."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried on transient failures.

    `attempts` counts the first try. The delay before retry n (1-based) is
    `min(base_delay_s * 2**(n-1), max_delay_s)` unless the server sent `Retry-After`.
    """

    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 4.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, retry_number: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry `retry_number` (1-based), capped at `max_delay_s`."""
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                return min(float(retry_after), self.max_delay_s)
        return min(self.base_delay_s * 2 ** (retry_number - 1), self.max_delay_s)


def is_transient_status(status_code: int) -> bool:
    """429 and every 5xx are worth another attempt."""
    return status_code == 429 or status_code >= 500


class RetryingTransport(httpx.BaseTransport):
    """An HTTP transport that retries transient failures per `RetryPolicy`, then raises."""

    def __init__(self, policy: RetryPolicy, inner: httpx.BaseTransport) -> None:
        self._policy = policy
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`, retrying transient failures; raise once attempts run out."""
        last_problem = ""
        for attempt in range(1, self._policy.attempts + 1):
            for listener in list(_listeners):
                listener(request)
            retry_after: str | None = None
            try:
                response = self._inner.handle_request(request)
            except _TRANSIENT_ERRORS as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
            else:
                if not is_transient_status(response.status_code):
                    return response
                response.read()
                response.close()
                retry_after = response.headers.get("Retry-After")
                last_problem = f"HTTP {response.status_code}"
            if attempt < self._policy.attempts:
                self._policy.sleep(self._policy.delay(attempt, retry_after))
        raise PrefectUnavailableError(
            f"{request.method} {request.url.path} failed {self._policy.attempts} times "
            f"(last: {last_problem})"
        )

    def close(self) -> None:
        """Close the wrapped transport's connections."""
        self._inner.close()


@contextlib.contextmanager
def record_requests() -> Iterator[list[httpx.Request]]:
    """Collect every HTTP attempt the providers make inside the block (retries included)."""
    seen: list[httpx.Request] = []
    listener: RequestListener = seen.append
    _listeners.append(listener)
    try:
        yield seen
    finally:
        _listeners.remove(listener)


def open_client(connection: PrefectConnection, policy: RetryPolicy) -> SyncPrefectClient:
    """A new synchronous Prefect client for `connection`; use it as a context manager."""
    from prefect.client.orchestration import SyncPrefectClient

    # retries=0: httpcore must not retry refused connections behind our back.
    inner = httpx.HTTPTransport(retries=0, verify=_tls_verification())
    return SyncPrefectClient(
        connection.api_url,
        api_key=connection.api_key,
        auth_string=connection.auth_string,
        httpx_settings={"transport": RetryingTransport(policy, inner)},
    )


def _tls_verification() -> ssl.SSLContext:
    """The TLS settings Prefect's own client would use (a custom transport bypasses them)."""
    import certifi
    from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY

    if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=PREFECT_API_SSL_CERT_FILE.value() or certifi.where())
