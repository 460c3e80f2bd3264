"""Fixtures of the delivery tests."""

from __future__ import annotations

import pulumi.runtime
import pytest

from tests.unit.delivery.engine import EngineLog, recording_set_mocks


@pytest.fixture
def engine_log(monkeypatch: pytest.MonkeyPatch) -> EngineLog:
    """Registrations (options, dependencies) of the next `run_program` calls, with an org set."""
    log = EngineLog()
    monkeypatch.setattr(pulumi.runtime, "set_mocks", recording_set_mocks(log))
    return log
