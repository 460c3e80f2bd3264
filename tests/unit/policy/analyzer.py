"""The policy pack as the Pulumi engine runs it, against programs run under mocks.

A program runs under `pulumi.runtime.set_mocks` with a monitor that keeps every
RegisterResource request (type, URN, parent, dependencies, property dependencies and the
serialized inputs). Those become the engine's `AnalyzeRequest`s (one per resource) and one
`AnalyzeStackRequest`, answered by `pulumi_policy`'s own analyzer servicer holding the pack's
policies: the same code path `pulumi preview --policy-pack policy` takes, minus the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pulumi
import pulumi.runtime
from google.protobuf import struct_pb2
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy.policy import _PolicyAnalyzerServicer

from infra.config import PROJECT
from policy.pack import ENFORCEMENT, POLICY_PACK, policies
from tests.pulumi_harness import ProgramRun, RecordingMocks

ORGANIZATION = "acme"


@dataclass(frozen=True)
class Registered:
    """One RegisterResource request, as the engine would pass it on to analyzers."""

    type_: str
    name: str
    urn: str
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    properties: struct_pb2.Struct


@dataclass(frozen=True)
class Violation:
    """One diagnostic of the pack: which policy, on which resource, saying what."""

    policy: str
    urn: str
    message: str
    mandatory: bool


@dataclass
class Registrations:
    """Every resource one program run registered."""

    resources: list[Registered] = field(default_factory=list)


class _RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks, log: Registrations) -> None:
        super().__init__(mocks)
        self.log = log

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            properties = struct_pb2.Struct()
            properties.CopyFrom(request.object)
            self.log.resources.append(
                Registered(
                    type_=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    property_dependencies={
                        key: list(value.urns) for key, value in request.propertyDependencies.items()
                    },
                    properties=properties,
                )
            )
        return response


@contextmanager
def recording() -> Iterator[Registrations]:
    """Registrations of the programs run inside the block (through `set_mocks`)."""
    log = Registrations()
    real_set_mocks = pulumi.runtime.set_mocks

    def set_mocks(mocks: pulumi.runtime.Mocks, **kwargs: Any) -> None:
        # The engine always names an organization (Pulumi Deployments resources need one).
        kwargs.setdefault("organization", ORGANIZATION)
        real_set_mocks(mocks, monitor=_RecordingMonitor(mocks, log), **kwargs)

    with mock.patch.object(pulumi.runtime, "set_mocks", set_mocks):
        yield log


def run_under_mocks(program: Callable[[], None], stack: str = "broken") -> Registrations:
    """Run any program (not the project's) under mocks and record what it registered."""
    with recording() as log:
        pulumi.runtime.set_mocks(
            RecordingMocks(ProgramRun(stack)), project=PROJECT, stack=stack, preview=False
        )
        pulumi.runtime.test(program)()
    return log


def analyze(registrations: Registrations) -> list[Violation]:
    """Run every policy of the pack over the registrations; every diagnostic it returns."""
    servicer = _PolicyAnalyzerServicer(POLICY_PACK, "0.0.1", policies(), ENFORCEMENT)
    responses = [
        servicer.Analyze(
            analyzer_pb2.AnalyzeRequest(
                type=r.type_, properties=r.properties, urn=r.urn, name=r.name
            ),
            None,
        )
        for r in registrations.resources
    ]
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type_,
                properties=r.properties,
                urn=r.urn,
                name=r.name,
                parent=r.parent,
                dependencies=r.dependencies,
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                    for key, urns in r.property_dependencies.items()
                },
            )
            for r in registrations.resources
        ]
    )
    responses.append(servicer.AnalyzeStack(stack, None))
    mandatory = analyzer_pb2.EnforcementLevel.Value("MANDATORY")
    return [
        Violation(d.policyName, d.urn, d.message, d.enforcementLevel == mandatory)
        for response in responses
        for d in response.diagnostics
    ]
