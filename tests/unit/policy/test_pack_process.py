"""The pack as its own process, started the way the CLI's Python analyzer plugin starts it.

`pulumi-analyzer-policy-python` runs `python -u -m pulumi.policy <engine> <pack dir>` in the
pack's virtualenv; the pack prints its gRPC port and serves the Analyzer service. This proves
`policy/__main__.py` imports and serves from that entry point, with every policy mandatory.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from infra.config import PROJECT_DIR
from policy.rules import RESOURCE_RULES, STACK_RULES

PACK = PROJECT_DIR / "policy"


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(PACK)],
        cwd=PACK,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().decode().strip()
        assert port.isdigit(), process.stderr.read().decode() if process.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_pack_serves_every_policy_as_mandatory(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "covid-forecast"
    assert {p.name for p in info.policies} == set(RESOURCE_RULES) | set(STACK_RULES)
    mandatory = analyzer_pb2.EnforcementLevel.Value("MANDATORY")
    assert {p.enforcementLevel for p in info.policies} == {mandatory}


def test_a_broken_resource_is_reported_over_grpc(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    properties = struct_pb2.Struct()
    properties.update({"retentionInDays": 0, "tags": {"project": "covid-forecast"}})
    response = analyzer.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="aws:cloudwatch/logGroup:LogGroup",
            properties=properties,
            urn="urn:pulumi:madrid::covid-forecast::aws:cloudwatch/logGroup:LogGroup::logs",
            name="logs",
        ),
        timeout=30,
    )
    assert {d.policyName for d in response.diagnostics} == {
        "log-groups-have-retention",
        "taggable-resources-carry-project-stack-city",
    }
