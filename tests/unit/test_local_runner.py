"""The runner stops on a provider's CheckFailure before any request and records nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local import ApplyError, apply_resources, load_local_config
from infra.prefect_plan import PlannedResource


def test_check_failures_stop_the_apply_and_name_the_resource(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    bad = PlannedResource("WorkPool", "broken-pool", {"name": "", "type": "process"})
    with pytest.raises(ApplyError, match="WorkPool broken-pool: name"):
        apply_resources([bad], state)
    assert not state.exists()


def test_the_runner_refuses_cloud_stacks() -> None:
    with pytest.raises(SystemExit, match="use `pulumi up`"):
        load_local_config("madrid")
