"""A loopback HTTP relay in front of the real Prefect server that records every request.

Processes we cannot instrument (`prefect deploy`, `python -m infra.local`) talk to the server
through it, so their requests are counted the same way. It can also answer the next requests
itself with an error status (fault injection); every other request is answered by the real
server. It is a relay, not a fake: it never makes up a successful answer.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass
class RequestLog:
    """`METHOD /path` (no `/api` prefix, no query) of each request since the last `take()`."""

    _calls: list[str] = field(default_factory=list)
    _faults: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str) -> None:
        """Add one request."""
        with self._lock:
            self._calls.append(f"{method} {path.split('?')[0].removeprefix('/api')}")

    def take(self) -> list[str]:
        """The requests recorded so far; the log starts empty again."""
        with self._lock:
            taken, self._calls = self._calls, []
        return taken

    def fail_next(self, count: int, status: int) -> None:
        """Answer the next `count` requests with `status` instead of relaying them."""
        with self._lock:
            self._faults = [status] * count

    def next_fault(self) -> int | None:
        """The status to inject for the request being handled, if any."""
        with self._lock:
            return self._faults.pop(0) if self._faults else None


@contextlib.contextmanager
def counting_proxy(upstream_api_url: str) -> Iterator[tuple[str, RequestLog]]:
    """Relay to `upstream_api_url` from a free loopback port; yield (proxy API URL, log)."""
    upstream = urlsplit(upstream_api_url)
    host = upstream.hostname or "127.0.0.1"
    log = RequestLog()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            log.record(self.command, self.path)
            fault = log.next_fault()
            if fault is not None:
                payload = b'{"detail": "fault injected by the benchmark proxy"}'
                self._answer(fault, [("Content-Type", "application/json")], payload)
                return
            conn = http.client.HTTPConnection(host, upstream.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            finally:
                conn.close()
            self._answer(response.status, response.getheaders(), payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _relay

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the RequestLog is the record."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{upstream.path}", log
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
