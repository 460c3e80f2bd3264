"""Preview with unknowns, through Pulumi's own dynamic-provider server over gRPC.

On a fresh stack, inputs that come from resources not created yet (ARNs, the image digest, the
bucket, a deployment's or block's id) are unknown during `pulumi preview`; the engine sends them
as its unknown sentinel. For every Prefect resource this proves, with the engine's requests:
- first preview: Check of inputs holding unknowns (nested, or a whole property) returns no
  failure and keeps the unknowns, so they are filled in at `up`;
- update whose new value is unknown: Check passes and Diff answers DIFF_SOME (never DIFF_NONE,
  which would skip the update), replacing only when an identity input is the unknown one.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from infra.prefect.automation import AutomationProvider
from infra.prefect.base import PrefectProvider
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from tests.integration.prefect.test_engine_protocol import (  # the module's engine fixture
    engine,  # noqa: F401
    to_struct,
)

pytestmark = pytest.mark.integration

UNKNOWN = rpc.UNKNOWN
Stub = provider_pb2_grpc.ResourceProviderStub


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Properties as the engine reads them during a preview: unknowns stay unknown."""
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


def urn(kind: str) -> str:
    return f"urn:pulumi:dev::covid-forecast::pulumi-python:dynamic/prefect:{kind}::{kind.lower()}"


def check(
    stub: Stub, provider: PrefectProvider, kind: str, olds: dict[str, Any], news: dict[str, Any]
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """The engine's Check: failures as (property, reason) and the checked inputs."""
    response = stub.Check(
        provider_pb2.CheckRequest(
            urn=urn(kind),
            olds=to_struct(olds),
            news=to_struct({**news, "__provider": serialize_provider(provider)}),
        )
    )
    return [(f.property, f.reason) for f in response.failures], from_struct(response.inputs)


def diff(
    stub: Stub, kind: str, olds: dict[str, Any], news: dict[str, Any]
) -> tuple[int, list[str]]:
    response = stub.Diff(
        provider_pb2.DiffRequest(id="id", urn=urn(kind), olds=to_struct(olds), news=to_struct(news))
    )
    return response.changes, list(response.replaces)


# kind -> (provider, known inputs, first-preview variants with unknowns, updates to unknown)
CASES: dict[str, tuple[PrefectProvider, dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]
CASES = {
    "WorkPool": (
        WorkPoolProvider(),
        {
            "name": "covid-forecast-madrid",
            "type": "ecs",
            "job_variable_defaults": {"cluster": "arn:aws:ecs:eu-west-1:1:cluster/c"},
        },
        [
            {"job_variable_defaults": {"cluster": UNKNOWN, "image": UNKNOWN, "vpc_id": UNKNOWN}},
            {"job_variable_defaults": UNKNOWN},
            {"concurrency_limit": UNKNOWN, "description": UNKNOWN},
        ],
        [{"job_variable_defaults": {"cluster": UNKNOWN}}, {"paused": UNKNOWN}],
    ),
    "Block": (
        BlockProvider(),
        {"type_slug": "s3-bucket", "name": "madrid-results", "data": {"bucket_name": "b"}},
        [{"data": {"bucket_name": UNKNOWN, "bucket_folder": ""}}, {"data": UNKNOWN}],
        [{"data": {"bucket_name": UNKNOWN}}, {"data": UNKNOWN}],
    ),
    "Deployment": (
        DeploymentProvider(),
        {
            "flow_name": "covid-prediction",
            "name": "madrid",
            "entrypoint": "flow/flows.py:covid_prediction",
            "work_pool_name": "covid-forecast-madrid",
            "work_pool_type": "ecs",
            "parameters": {"prov_st": "Madrid", "results_block": "s3-bucket/r"},
            "job_variables": {"image": "repo@sha256:" + "ab" * 32, "cpu": 512},
            "schedule": {"cron": "0 6 * * *", "timezone": "Europe/Madrid"},
            "concurrency_limit": 1,
            "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
        },
        [
            {"job_variables": {"image": UNKNOWN, "cpu": 512}},
            {"work_pool_name": UNKNOWN, "parameters": {"results_block": UNKNOWN}},
            {"schedule": UNKNOWN, "tags": UNKNOWN, "job_variables": UNKNOWN},
            {"concurrency_options": UNKNOWN, "concurrency_limit": UNKNOWN},
        ],
        [
            {"job_variables": {"image": UNKNOWN, "cpu": 512}},
            {"parameters": UNKNOWN},
            {"schedule": {"cron": UNKNOWN, "timezone": "Europe/Madrid"}},
        ],
    ),
    "Automation": (
        AutomationProvider(),
        {
            "name": "covid-forecast-madrid-forecast-failed",
            "trigger": {
                "expect": ["prefect.flow-run.Failed"],
                "match_related": {
                    "prefect.resource.role": "deployment",
                    "prefect.resource.id": ["prefect.deployment.1"],
                },
            },
            "actions": [
                {
                    "type": "send-notification",
                    "block_document_id": "7a4f3c8e-8f4e-4a51-9d2c-1b2d3e4f5a6b",
                    "body": "failed",
                }
            ],
        },
        [
            {
                "trigger": {
                    "expect": ["prefect.flow-run.Failed"],
                    "match_related": {
                        "prefect.resource.role": "deployment",
                        "prefect.resource.id": [UNKNOWN, UNKNOWN],
                    },
                },
                "actions": [
                    {"type": "send-notification", "block_document_id": UNKNOWN, "body": "failed"}
                ],
            },
            {"trigger": UNKNOWN, "actions": UNKNOWN},
            {"actions": [UNKNOWN], "tags": [UNKNOWN]},
        ],
        [
            {
                "actions": [
                    {"type": "send-notification", "block_document_id": UNKNOWN, "body": "failed"}
                ]
            },
            {
                "trigger": {
                    "expect": ["prefect.flow-run.Failed"],
                    "match_related": {
                        "prefect.resource.role": "deployment",
                        "prefect.resource.id": UNKNOWN,
                    },
                }
            },
        ],
    ),
}


def contains_unknown(value: object) -> bool:
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return isinstance(value, Unknown) or value == UNKNOWN


@pytest.mark.parametrize("kind", list(CASES))
def test_first_preview_accepts_unknowns_and_keeps_them(engine: Stub, kind: str) -> None:  # noqa: F811
    provider, known, previews, _ = CASES[kind]
    failures, _ = check(engine, provider, kind, {}, known)
    assert failures == []
    for unknowns in previews:
        failures, inputs = check(engine, provider, kind, {}, {**known, **unknowns})
        assert failures == [], unknowns
        for key in unknowns:
            assert contains_unknown(inputs[key]), (key, inputs[key])


@pytest.mark.parametrize("kind", list(CASES))
def test_an_update_to_an_unknown_value_is_a_change_not_a_no_op(
    engine: Stub,  # noqa: F811
    kind: str,
) -> None:
    provider, known, _, updates = CASES[kind]
    _, olds = check(engine, provider, kind, {}, known)
    assert diff(engine, kind, olds, olds) == (provider_pb2.DiffResponse.DIFF_NONE, [])
    for unknowns in updates:
        failures, news = check(engine, provider, kind, olds, {**known, **unknowns})
        assert failures == [], unknowns
        assert diff(engine, kind, olds, news) == (provider_pb2.DiffResponse.DIFF_SOME, []), unknowns


@pytest.mark.parametrize(
    ("kind", "identity"),
    [("WorkPool", "name"), ("Block", "name"), ("Deployment", "name"), ("Automation", "name")],
)
def test_an_unknown_identity_input_is_a_replacement(
    engine: Stub,  # noqa: F811
    kind: str,
    identity: str,
) -> None:
    provider, known, _, _ = CASES[kind]
    _, olds = check(engine, provider, kind, {}, known)
    failures, news = check(engine, provider, kind, olds, {**known, identity: UNKNOWN})
    assert failures == []
    assert diff(engine, kind, olds, news) == (provider_pb2.DiffResponse.DIFF_SOME, [identity])
