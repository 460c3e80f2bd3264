"""A loopback HTTP proxy in front of the real Prefect server that fails the first N requests.

It is a fault injector, not a fake: every request it lets through is answered by the real
server. Used to prove that a transient 5xx followed by success does not fail an operation.
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
class FaultPlan:
    """How many upcoming requests to fail, with which status; counts what happened."""

    fail_next: int = 0
    status: int = 503
    failed: int = 0
    forwarded: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self) -> bool:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                self.failed += 1
                return True
            self.forwarded += 1
            return False


@contextlib.contextmanager
def fault_proxy(upstream_api_url: str, plan: FaultPlan) -> Iterator[str]:
    """Serve a proxy for `upstream_api_url` on a free loopback port; yield its API URL."""
    upstream = urlsplit(upstream_api_url)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if plan.take_fault():
                payload = b'{"detail": "injected fault"}'
                self.send_response(plan.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            conn = http.client.HTTPConnection(str(upstream.hostname), upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            conn.close()

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _relay

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test asserts on the plan's counters instead."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{upstream.path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
