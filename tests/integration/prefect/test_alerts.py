"""The stack's automations fire on a real Prefect server: a run forced to Failed notifies the
alert webhook (a receiver on a loopback port counts the POSTs), a run Running too long is
cancelled. The stack is applied by the local runner from the real specs, so config -> specs ->
providers -> server -> notification block -> webhook is exercised end to end.

The server's triggers and actions services run by default in `prefect server start`; a
reactive automation fires within seconds, a proactive one is evaluated every 5 s.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import StateType
from prefect.states import Failed, Running

from infra.local import apply_stack, destroy_resources
from infra.prefect.automation import AutomationProvider
from tests.servers import free_port

pytestmark = pytest.mark.integration


@dataclass
class WebhookReceiver:
    """An HTTP endpoint on loopback that records every POST body it gets."""

    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    port = free_port()
    received = WebhookReceiver(url=f"http://127.0.0.1:{port}/hook/TOKENCANARY0123")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.posts.append(json.loads(body or b"{}"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def applied(
    receiver: WebhookReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, dict[str, Any]], Path]]:
    """The dev stack (city Galicia, its own pool) applied with the alert webhook set."""
    state_path = tmp_path_factory.mktemp("alerts") / "state.json"
    overrides = {
        "city": "Galicia",
        "workPoolName": f"alerts-{uuid.uuid4().hex[:8]}",
        "alertWebhookUrl": receiver.url,
    }
    state = apply_stack("dev", overrides, state_path, log=lambda _line: None)
    try:
        yield state, state_path
    finally:
        destroy_resources(state_path, log=lambda _line: None)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not happen within {timeout_s:.0f}s")


def deployment_id(state: dict[str, dict[str, Any]]) -> uuid.UUID:
    return uuid.UUID(state["covid-forecast-dev-covid-prediction"]["id"])


def test_the_state_file_holds_a_digest_of_the_webhook_not_the_url(
    applied: tuple[dict[str, dict[str, Any]], Path], receiver: WebhookReceiver
) -> None:
    state, state_path = applied
    assert "TOKENCANARY0123" not in state_path.read_text()
    assert state["covid-forecast-dev-alerts"]["outs"]["data"]["url"].startswith("sha256:")
    # Applying again with the same secret is no change (digests compare equal).
    lines: list[str] = []
    overrides = {
        "city": "Galicia",
        "workPoolName": state["covid-forecast-dev-pool"]["id"],
        "alertWebhookUrl": receiver.url,
    }
    apply_stack("dev", overrides, state_path, log=lines.append)
    assert all(line.endswith("unchanged") for line in lines), lines


def test_a_run_forced_to_failed_posts_one_notification(
    applied: tuple[dict[str, dict[str, Any]], Path],
    receiver: WebhookReceiver,
    api: SyncPrefectClient,
) -> None:
    state, _ = applied
    run = api.create_flow_run_from_deployment(deployment_id(state), name=f"fail-{uuid.uuid4().hex}")
    api.set_flow_run_state(run.id, Failed(message="forced by the test"), force=True)

    def notified() -> list[dict[str, Any]]:
        return [p for p in receiver.posts if run.name in p.get("text", "")]

    wait_for(lambda: bool(notified()), 60, "the failure notification")
    time.sleep(3)  # a second POST for the same failure would arrive by now
    [post] = notified()
    assert "failed" in post["text"] and "Failed" in post["text"]
    assert "forced by the test" in post["text"]


def test_a_run_running_too_long_is_cancelled(
    applied: tuple[dict[str, dict[str, Any]], Path], api: SyncPrefectClient
) -> None:
    state, _ = applied
    stuck = state["covid-forecast-dev-forecast-stuck"]
    provider = AutomationProvider()
    # The stack's own automation, updated in place to give up after 10 s (Prefect's minimum).
    quick = {**stuck["outs"], "trigger": {**stuck["outs"]["trigger"], "within": 10}}
    provider.update(stuck["id"], stuck["outs"], provider.check({}, quick).inputs)
    try:
        run = api.create_flow_run_from_deployment(deployment_id(state))
        api.set_flow_run_state(run.id, Running(), force=True)

        def cancelled() -> bool:
            live = api.read_flow_run(run.id)
            return live.state_type in (StateType.CANCELLING, StateType.CANCELLED)

        wait_for(cancelled, 60, "the stuck run's cancellation")
    finally:
        provider.update(stuck["id"], quick, stuck["outs"])
