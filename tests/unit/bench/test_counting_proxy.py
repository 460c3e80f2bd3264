"""The loopback relay records every request and can answer with an injected fault."""

from __future__ import annotations

import httpx

from bench.counting_proxy import counting_proxy
from demo.processes import free_port


def test_injected_faults_are_answered_and_recorded_without_the_upstream() -> None:
    dead_upstream = f"http://127.0.0.1:{free_port()}/api"
    with counting_proxy(dead_upstream) as (proxy_url, log):
        assert proxy_url.endswith("/api") and proxy_url != dead_upstream
        log.fail_next(2, 503)
        statuses = [
            httpx.get(f"{proxy_url}/work_pools/pool?x=1").status_code,
            httpx.patch(f"{proxy_url}/deployments/1", json={}).status_code,
        ]
        assert statuses == [503, 503]
        assert log.take() == ["GET /work_pools/pool", "PATCH /deployments/1"]
        assert log.take() == []
