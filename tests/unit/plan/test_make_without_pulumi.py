"""`make preview|up|destroy` without the Pulumi CLI: what is missing, where to get it, what works"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from infra.config import PROJECT_DIR


def path_without_pulumi() -> str:
    """This PATH minus every folder holding a `pulumi` executable."""
    folders = os.environ["PATH"].split(os.pathsep)
    kept = [f for f in folders if not (Path(f) / "pulumi").exists()]
    assert shutil.which("pulumi", path=os.pathsep.join(kept)) is None
    assert shutil.which("make", path=os.pathsep.join(kept)) is not None
    return os.pathsep.join(kept)


@pytest.mark.parametrize("target", ["preview", "up", "destroy"])
def test_cloud_targets_explain_the_missing_cli_and_fail(target: str) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", target, "STACK=madrid"],
        cwd=PROJECT_DIR,
        env={**os.environ, "PATH": path_without_pulumi()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    message = result.stderr
    assert f"make {target} needs the Pulumi CLI, which is not on PATH." in message
    assert "https://www.pulumi.com/docs/install/" in message
    assert "make plan STACK=madrid" in message and "make demo" in message
    # The check comes first: no pulumi command attempted, no venv (re)installed.
    assert "command not found" not in message
    assert "pip" not in result.stdout + message
