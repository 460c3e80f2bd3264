"""What the Pulumi engine is told about each resource, beyond the inputs the harness records.

`tests.pulumi_harness.run_program` runs the real program under mocks. Wrapping the runtime's
`set_mocks` lets these tests (a) give the run an organization, as the engine always does (mocks
default to none), and (b) see each registration request as it goes to the engine: its resource
options (`protect`, `retainOnDelete`) and its dependencies, which decide what `pulumi destroy`
may delete and in which order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime.mocks import MockMonitor

ORGANIZATION = "acme"


@dataclass(frozen=True)
class Registration:
    """One RegisterResource request: identity, options and dependencies."""

    urn: str
    type_: str
    name: str
    protect: bool
    retain_on_delete: bool
    # What the engine orders this resource after: its dependencies and its parent (a child
    # is deleted before its parent, and a component before what the component depends on).
    dependencies: frozenset[str]


@dataclass
class EngineLog:
    """Every registration of one program run, with dependency queries."""

    registrations: list[Registration] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Registration]:
        """Registrations of one type token."""
        return [r for r in self.registrations if r.type_ == type_]

    def depends_on(self, dependent: Registration, dependency: Registration) -> bool:
        """True if `dependent` waits for `dependency`, directly or through other resources.

        Pulumi deletes a resource before everything it depends on, so this is also "is
        `dependent` deleted first".
        """
        by_urn = {r.urn: r for r in self.registrations}
        seen: set[str] = set()
        todo = list(dependent.dependencies)
        while todo:
            urn = todo.pop()
            if urn == dependency.urn:
                return True
            if urn not in seen and urn in by_urn:
                seen.add(urn)
                todo.extend(by_urn[urn].dependencies)
        return False


class RecordingMonitor(MockMonitor):
    """The runtime's mock monitor, also logging each registration request."""

    def __init__(self, mocks: pulumi.runtime.Mocks, log: EngineLog) -> None:
        super().__init__(mocks)
        self.log = log

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.log.registrations.append(
                Registration(
                    urn=response.urn,
                    type_=request.type,
                    name=request.name,
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    dependencies=frozenset(
                        [*request.dependencies, *([request.parent] if request.parent else [])]
                    ),
                )
            )
        return response


def recording_set_mocks(log: EngineLog) -> Callable[..., None]:
    """A `pulumi.runtime.set_mocks` that adds the organization and the recording monitor."""
    real_set_mocks = pulumi.runtime.set_mocks

    def set_mocks(mocks: pulumi.runtime.Mocks, **kwargs: Any) -> None:
        real_set_mocks(
            mocks, monitor=RecordingMonitor(mocks, log), organization=ORGANIZATION, **kwargs
        )

    return set_mocks
