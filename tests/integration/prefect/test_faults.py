"""Faults: a server that is down, and one that fails transiently before answering."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from infra.prefect.base import PrefectProviderError
from infra.prefect.client import RetryPolicy
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from tests.integration.prefect.conftest import calls
from tests.integration.prefect.fault_proxy import FaultPlan, fault_proxy
from tests.servers import PrefectServer, free_port

pytestmark = pytest.mark.integration

KEY = "pnu_fault-test-key-0123456789abcdef"


def configured(provider: Any, api_url: str, sleeps: list[float]) -> Any:
    provider.configure(
        ConfigureRequest(
            Config({"prefect:apiUrl": api_url, "prefect:apiKey": KEY}, "covid-forecast")
        )
    )
    provider.retry_policy = RetryPolicy(
        attempts=4, base_delay_s=0.5, max_delay_s=1.5, sleep=sleeps.append
    )
    return provider


def test_server_down_gives_bounded_retries_then_an_error_naming_resource_operation_url(
    requests_made: list[httpx.Request],
) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}/api"
    sleeps: list[float] = []
    provider = configured(WorkPoolProvider(), dead_url, sleeps)
    props = provider.check({}, {"name": "covid-pool", "type": "process"}).inputs

    with pytest.raises(PrefectProviderError) as raised:
        provider.create(props)

    message = str(raised.value)
    assert "work pool 'covid-pool'" in message
    assert "create failed" in message
    assert dead_url in message
    assert "failed 4 times" in message
    assert KEY not in message
    assert len(requests_made) == 4  # bounded: 4 attempts, no hidden retries underneath
    assert sleeps == [0.5, 1.0, 1.5]  # doubling, capped


def test_every_operation_reports_itself_when_the_server_is_down() -> None:
    provider = configured(DeploymentProvider(), f"http://127.0.0.1:{free_port()}/api", [])
    outs = {"flow_name": "covid-prediction", "name": "madrid"}
    deployment_id = "5d1c5b8e-0000-4000-8000-000000000001"
    for operation, call in [
        ("read", lambda: provider.read(deployment_id, outs)),
        ("delete", lambda: provider.delete(deployment_id, outs)),
    ]:
        with pytest.raises(PrefectProviderError, match=rf"'covid-prediction/madrid': {operation}"):
            call()


def test_a_transient_503_then_success_does_not_fail_the_operation(
    prefect_server: PrefectServer, unique: str, requests_made: list[httpx.Request]
) -> None:
    plan = FaultPlan(fail_next=2, status=503)
    with fault_proxy(prefect_server.api_url, plan) as proxy_url:
        sleeps: list[float] = []
        provider = configured(WorkPoolProvider(), proxy_url, sleeps)
        props = provider.check({}, {"name": f"flaky-{unique}", "type": "process"}).inputs
        created = provider.create(props)
        read = provider.read(created.id, created.outs or {})
        provider.delete(created.id, created.outs or {})

    assert read.inputs == props
    assert plan.failed == 2
    assert sleeps == [0.5, 1.0]
    first_three = calls(requests_made)[:3]
    assert len(set(first_three)) == 1  # the same request, retried twice after the 503s


def test_a_500_that_persists_is_reported_after_the_same_bounded_attempts(
    prefect_server: PrefectServer, unique: str, requests_made: list[httpx.Request]
) -> None:
    plan = FaultPlan(fail_next=100, status=500)
    with fault_proxy(prefect_server.api_url, plan) as proxy_url:
        provider = configured(DeploymentProvider(), proxy_url, [])
        with pytest.raises(PrefectProviderError, match=r"read failed at .*HTTP 500"):
            provider.read("5d1c5b8e-0000-4000-8000-000000000001", {"flow_name": "f", "name": "n"})
    assert plan.failed == 4
    assert len(requests_made) == 4
