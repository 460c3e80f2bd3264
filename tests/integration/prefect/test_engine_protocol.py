"""The providers as the Pulumi engine drives them.

Pulumi's own dynamic provider server (`python -m pulumi.dynamic`, i.e.
`DynamicResourceProviderServicer`) runs as a separate process, as under `pulumi up`, and is
spoken to over gRPC: Configure with stack config (API URL + secret key), then Check, Diff,
Create, Read, Update, Delete, with each provider serialized the way `pulumi.dynamic.Resource`
does. The provider process has no PREFECT_API_URL, so it can only reach the server through
Configure; it must re-import the provider classes from their module (pickled by reference).
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from infra.config import PROJECT_DIR
from infra.prefect.automation import AutomationProvider
from infra.prefect.base import PrefectProvider
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from tests.servers import PrefectServer, stop_process

pytestmark = pytest.mark.integration

KEY = "pnu_engine-test-key-0123456789abcdef"
SECRET_SIG = {rpc._special_sig_key: rpc._special_secret_sig}


def to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    return asyncio.run(rpc.serialize_properties(values, {}))


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct))


@pytest.fixture(scope="module")
def engine(
    prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """Pulumi's dynamic provider server in its own process, configured like `pulumi up` does."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREFECT_API_") and key != "PYTHONPATH"
    }
    env.update(
        {
            "PYTHONPATH": str(PROJECT_DIR),
            "PREFECT_HOME": str(tmp_path_factory.mktemp("provider-home")),
            "PULUMI_PROJECT": "covid-forecast",
        }
    )
    log = Path(tmp_path_factory.mktemp("provider-log")) / "stderr.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            env=env,
            cwd=PROJECT_DIR,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().decode().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        stub.Configure(
            provider_pb2.ConfigureRequest(
                args=to_struct(
                    {
                        "prefect:apiUrl": prefect_server.api_url,
                        "prefect:apiKey": {**SECRET_SIG, "value": KEY},
                        "covid-forecast:city": "madrid",
                    }
                ),
                acceptSecrets=True,
            )
        )
        yield stub
        channel.close()
    finally:
        stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def drive(
    engine: provider_pb2_grpc.ResourceProviderStub,
    provider: PrefectProvider,
    kind: str,
    inputs: dict[str, Any],
    changed: dict[str, Any],
) -> dict[str, Any]:
    """Check, Create, Diff (same and changed), Update, Read, Delete, Read; returns what was seen."""
    serialized = serialize_provider(provider)
    urn = f"urn:pulumi:dev::covid-forecast::pulumi-python:dynamic/prefect:{kind}::{kind.lower()}"
    seen: dict[str, Any] = {"serialized": base64.b64decode(serialized)}

    def checked(props: dict[str, Any], olds: dict[str, Any]) -> dict[str, Any]:
        response = engine.Check(
            provider_pb2.CheckRequest(
                urn=urn,
                olds=to_struct(olds),
                news=to_struct({**props, "__provider": serialized}),
            )
        )
        assert list(response.failures) == []
        return from_struct(response.inputs)

    news = checked(inputs, {})
    created = engine.Create(provider_pb2.CreateRequest(urn=urn, properties=to_struct(news)))
    outs = from_struct(created.properties)
    seen["create"] = outs
    seen["id"] = created.id

    same = engine.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=urn, olds=created.properties, news=to_struct(news)
        )
    )
    seen["diff_same"] = same.changes

    changed_news = checked(changed, outs)
    diff = engine.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=urn, olds=created.properties, news=to_struct(changed_news)
        )
    )
    seen["diff_changed"] = (diff.changes, list(diff.replaces))

    updated = engine.Update(
        provider_pb2.UpdateRequest(
            id=created.id, urn=urn, olds=created.properties, news=to_struct(changed_news)
        )
    )
    seen["update"] = from_struct(updated.properties)

    read = engine.Read(
        provider_pb2.ReadRequest(
            id=created.id, urn=urn, properties=updated.properties, inputs=to_struct(changed_news)
        )
    )
    seen["read"] = (read.id, from_struct(read.inputs))
    seen["changed_news"] = changed_news

    engine.Delete(provider_pb2.DeleteRequest(id=created.id, urn=urn, properties=updated.properties))
    gone = engine.Read(
        provider_pb2.ReadRequest(id=created.id, urn=urn, properties=updated.properties)
    )
    seen["read_after_delete"] = gone.id
    return seen


def assert_engine_lifecycle(seen: dict[str, Any]) -> None:
    assert seen["diff_same"] == provider_pb2.DiffResponse.DIFF_NONE
    assert seen["diff_changed"] == (provider_pb2.DiffResponse.DIFF_SOME, [])
    read_id, read_inputs = seen["read"]
    assert read_id
    assert read_inputs == seen["changed_news"]
    assert seen["read_after_delete"] == ""
    # The key reached the provider only through Configure and went nowhere else.
    assert KEY.encode() not in seen["serialized"]
    for step in ("create", "update"):
        assert KEY not in repr(seen[step])


def test_work_pool_through_the_engine_protocol(
    engine: provider_pb2_grpc.ResourceProviderStub, unique: str
) -> None:
    inputs = {"name": f"engine-{unique}", "type": "process", "concurrency_limit": 2}
    seen = drive(engine, WorkPoolProvider(), "WorkPool", inputs, {**inputs, "paused": True})
    assert seen["create"]["concurrency_limit"] == 2
    assert seen["update"]["paused"] is True
    assert_engine_lifecycle(seen)


def test_block_through_the_engine_protocol(
    engine: provider_pb2_grpc.ResourceProviderStub, unique: str
) -> None:
    inputs = {
        "type_slug": "local-file-system",
        "name": f"engine-{unique}",
        "data": {"basepath": "/a"},
    }
    seen = drive(engine, BlockProvider(), "Block", inputs, {**inputs, "data": {"basepath": "/b"}})
    assert_engine_lifecycle(seen)


def test_deployment_through_the_engine_protocol(
    engine: provider_pb2_grpc.ResourceProviderStub, unique: str
) -> None:
    WorkPoolProvider().create({"name": f"engine-pool-{unique}", "type": "process"})
    inputs = {
        "flow_name": f"engine-flow-{unique}",
        "name": "madrid",
        "entrypoint": "flow/flows.py:covid_prediction",
        "work_pool_name": f"engine-pool-{unique}",
        "parameters": {"prov_st": "Madrid", "run_id": "run-1", "horizon": 7},
        "schedule": {"cron": "0 6 * * *", "timezone": "Europe/Madrid", "active": True},
    }
    changed = {**inputs, "parameters": {"prov_st": "Madrid", "run_id": "run-2", "horizon": 7}}
    seen = drive(engine, DeploymentProvider(), "Deployment", inputs, changed)
    assert seen["create"]["url"].endswith(f"/deployments/deployment/{seen['id']}")
    assert seen["update"]["schedule_id"] == seen["create"]["schedule_id"]
    assert_engine_lifecycle(seen)


def test_automation_through_the_engine_protocol(
    engine: provider_pb2_grpc.ResourceProviderStub, unique: str
) -> None:
    inputs: dict[str, Any] = {
        "name": f"engine-{unique}",
        "tags": ["covid-forecast", "stack:dev"],
        "trigger": {
            "posture": "Proactive",
            "after": ["prefect.flow-run.Running"],
            "expect": ["prefect.flow-run.*"],
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "for_each": ["prefect.resource.id"],
            "within": 3600,
        },
        "actions": [{"type": "cancel-flow-run"}],
    }
    changed = {**inputs, "trigger": {**inputs["trigger"], "within": 1800}}
    seen = drive(engine, AutomationProvider(), "Automation", inputs, changed)
    assert seen["update"]["trigger"]["within"] == 1800
    assert_engine_lifecycle(seen)
