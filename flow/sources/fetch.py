"""Read a source file from https://, s3://, file:// or a local path, retrying transient errors.

https:// is fetched with httpx and bounded exponential backoff on transient failures
(connection errors, 408/425/429/5xx); s3://, file:// and plain paths go through
`flow.storage.read_bytes` (fsspec). "Nothing there" (HTTP 404, no such file or key) is an answer,
not an error: the caller decides whether a missing file is a skipped day or a failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from flow.storage import read_bytes

_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class DataSourceError(RuntimeError):
    """A file could not be read for a reason other than "it does not exist"."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff for transient HTTP errors: attempts, then first delay."""

    attempts: int = 4
    backoff_s: float = 1.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return self.backoff_s * 2 ** (attempt - 1)


def fetch_http(url: str, retry: RetryPolicy, client: httpx.Client) -> bytes | None:
    """GET `url`: its body, or None when it does not exist (404). Retries transient failures."""
    last_problem = ""
    for attempt in range(1, retry.attempts + 1):
        try:
            response = client.get(url)
        except httpx.TransportError as exc:
            last_problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 404:
                return None
            if response.status_code < 400:
                return response.content
            if response.status_code not in _TRANSIENT_STATUS:
                raise DataSourceError(
                    f"GET {url} answered HTTP {response.status_code}; check data_url"
                )
            last_problem = f"HTTP {response.status_code}"
        if attempt < retry.attempts:
            time.sleep(retry.delay(attempt))
    raise DataSourceError(f"GET {url} failed {retry.attempts} times, last: {last_problem}")


def fetch_location(location: str, retry: RetryPolicy, client: httpx.Client) -> bytes | None:
    """Read a file from https://, s3://, file:// or a local path; None when it is absent."""
    if location.startswith(("http://", "https://")):
        return fetch_http(location, retry, client)
    try:
        return read_bytes(location)
    except FileNotFoundError:
        return None


def fetch_file(location: str, retry: RetryPolicy | None = None) -> bytes:
    """The content of one file that must exist (one read); `DataSourceError` when it does not."""
    with httpx.Client(timeout=30.0, follow_redirects=True) as client:
        content = fetch_location(location, retry or RetryPolicy(), client)
    if content is None:
        raise DataSourceError(f"no file at {location}; check data_url")
    return content
