"""Stack files are read the way the Pulumi CLI hands them to the program: strings."""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.config import PROJECT_DIR
from infra.stack_files import stack_config_values


def _project_with_stack(tmp_path: Path, stack_text: str) -> Path:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.test.yaml").write_text(stack_text)
    return tmp_path


def test_an_unquoted_all_digit_run_id_keeps_its_leading_zeros(tmp_path: Path) -> None:
    project = _project_with_stack(
        tmp_path, "config:\n  covid-forecast:runId: 00000000000000000000000000000001\n"
    )
    values = stack_config_values("test", project)
    assert values["covid-forecast:runId"] == "00000000000000000000000000000001"


def test_booleans_lists_and_secure_values_read_as_the_cli_passes_them(tmp_path: Path) -> None:
    project = _project_with_stack(
        tmp_path,
        "config:\n"
        "  covid-forecast:scheduleActive: false\n"
        "  covid-forecast:subnetIds: [subnet-1, subnet-2]\n"
        "  prefect:apiKey:\n    secure: AAABAxyz\n",
    )
    values = stack_config_values("test", project)
    assert values["covid-forecast:scheduleActive"] == "false"
    assert values["covid-forecast:subnetIds"] == '["subnet-1", "subnet-2"]'
    assert "prefect:apiKey" not in values
