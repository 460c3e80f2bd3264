"""Shared mode's checks: the platform exports what a city needs and can read its model."""

from __future__ import annotations

import pytest

from infra.aws.locations import S3Location
from infra.aws.shared import PLATFORM_OUTPUTS, PlatformStackError, check_platform_outputs

PLATFORM = "org/covid-forecast/madrid"


def outputs(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {key: f"<{key}>" for key in PLATFORM_OUTPUTS}
    values["flowRunReads"] = ["s3://mlflow/artifacts/"]
    values.update(changes)
    return values


def test_a_complete_platform_is_returned_as_is() -> None:
    reads = [S3Location("mlflow", "artifacts/barcelona/")]
    assert check_platform_outputs(PLATFORM, outputs(), reads) == outputs()


def test_missing_outputs_are_named() -> None:
    incomplete = outputs()
    del incomplete["workPool"], incomplete["image"]
    with pytest.raises(PlatformStackError, match=r"does not export image, workPool"):
        check_platform_outputs(PLATFORM, incomplete, [])


def test_a_model_the_platform_role_cannot_read_is_refused_with_the_fix() -> None:
    with pytest.raises(PlatformStackError) as error:
        check_platform_outputs(PLATFORM, outputs(), [S3Location("other-bucket", "models/")])
    message = str(error.value)
    assert "s3://other-bucket/models/" in message
    assert "s3://mlflow/artifacts/" in message
    assert "unset platformStack" in message
