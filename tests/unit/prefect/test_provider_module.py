"""The provider as Pulumi serializes it: importable without side effects, no credentials inside."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from infra.config import PROJECT_DIR
from infra.prefect import Deployment, WorkPool
from infra.prefect.automation import AutomationProvider
from infra.prefect.base import PrefectProvider
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider

KEY = "pnu_serialization-canary-0123456789"


@pytest.mark.parametrize(
    "provider_class", [WorkPoolProvider, BlockProvider, DeploymentProvider, AutomationProvider]
)
def test_a_configured_provider_serializes_without_its_key(
    provider_class: type[PrefectProvider],
) -> None:
    provider = provider_class()
    provider.configure(
        ConfigureRequest(
            Config(
                {"prefect:apiUrl": "https://api.example/api", "prefect:apiKey": KEY},
                "covid-forecast",
            )
        )
    )
    assert provider.connection.api_key == KEY

    pickled = base64.b64decode(serialize_provider(provider))

    assert KEY.encode() not in pickled
    assert b"api.example" not in pickled
    # Pickled by reference: the provider process re-imports the class from its module.
    assert provider_class.__module__.encode() in pickled
    assert len(pickled) < 2000


def test_importing_the_provider_modules_has_no_side_effects(tmp_path: str) -> None:
    probe = textwrap.dedent(
        """
        import os, sys, threading
        before_env = dict(os.environ)
        before_threads = threading.active_count()
        import infra.prefect
        import infra.prefect.block, infra.prefect.deployment, infra.prefect.work_pool
        import infra.prefect.automation
        assert "prefect" not in sys.modules, "importing infra.prefect imported prefect"
        assert dict(os.environ) == before_env, "importing infra.prefect changed the environment"
        assert threading.active_count() == before_threads, "importing infra.prefect started threads"
        assert os.listdir(os.environ["PREFECT_HOME"]) == [], "importing infra.prefect wrote files"
        print("clean")
        """
    )
    env = {"PATH": "/usr/bin:/bin", "PREFECT_HOME": str(tmp_path), "PYTHONPATH": str(PROJECT_DIR)}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_a_misspelt_input_fails_in_the_program_with_the_allowed_keys() -> None:
    with pytest.raises(ValueError, match=r"unknown input\(s\) shedule .*allowed: .*schedule"):
        Deployment("covid", {"flow_name": "covid-prediction", "name": "madrid", "shedule": {}})
    with pytest.raises(ValueError, match=r"input\(s\) job_variables .*job_variable_defaults"):
        WorkPool("pool", {"name": "p", "type": "ecs", "job_variables": {}})
