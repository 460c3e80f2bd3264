"""The images workflow's smoke-test driver (demo/image_smoke.py), its pure parts.

The deploy/run/check sequence itself needs a Docker engine and runs on GitHub's runners
(.github/workflows/images.yml); here: the plan it deploys, the worker-template check against
prefect-aws' real ECS template, and the outputs it hands to the next workflow step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prefect.workers.process import ProcessWorker
from prefect_aws.workers import ECSWorker

from demo.image_smoke import (
    RUNNER_ONLY_PARAMETERS,
    ecs_template_problems,
    image_plan,
    main,
    program_ecs_variables,
    write_outputs,
)
from infra.config import StackConfig
from infra.local import load_local_config
from infra.specs import IMAGE_WORKDIR, SET_WORKING_DIRECTORY, local_plan


@pytest.fixture
def dev_config(monkeypatch: pytest.MonkeyPatch) -> StackConfig:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    return load_local_config("dev")


def test_image_plan_runs_the_dev_deployments_in_the_image(dev_config: StackConfig) -> None:
    local, image = local_plan(dev_config), image_plan(dev_config)
    assert image.work_pool == local.work_pool and image.results_block == local.results_block
    assert [d["flow_name"] for d in image.deployments] == [
        d["flow_name"] for d in local.deployments
    ]
    for ours, theirs in zip(image.deployments, local.deployments, strict=True):
        assert ours["pull_steps"] == [{SET_WORKING_DIRECTORY: {"directory": IMAGE_WORKDIR}}]
        assert theirs["pull_steps"] != ours["pull_steps"]  # the checkout, not the image
        # The SQLite tracking URI needs MLflow's SQL store, which the flow image lacks.
        expected = {k: v for k, v in theirs["parameters"].items() if k != "tracking_uri"}
        assert ours["parameters"] == expected
        assert ours["entrypoint"] == theirs["entrypoint"]
    assert RUNNER_ONLY_PARAMETERS == ("tracking_uri",)


def test_image_plan_takes_another_working_directory(dev_config: StackConfig) -> None:
    plan = image_plan(dev_config, working_directory="/srv/app")
    assert all(
        d["pull_steps"] == [{SET_WORKING_DIRECTORY: {"directory": "/srv/app"}}]
        for d in plan.deployments
    )


def ecs_template() -> dict[str, Any]:
    # What `prefect work-pool get-default-base-job-template --type ecs` prints.
    return dict(ECSWorker.get_default_base_job_template())


def test_prefect_aws_template_has_every_variable_the_program_sets(
    dev_config: StackConfig,
) -> None:
    wanted = program_ecs_variables(dev_config)
    assert {"cluster", "execution_role_arn", "prefect_api_key_secret_arn", "image"} <= wanted
    assert ecs_template_problems(ecs_template(), wanted) == []


def test_a_missing_variable_is_named_with_the_fix(dev_config: StackConfig) -> None:
    template = ecs_template()
    del template["variables"]["properties"]["execution_role_arn"]
    (problem,) = ecs_template_problems(template, program_ecs_variables(dev_config))
    assert "execution_role_arn" in problem and "requirements-worker.txt" in problem


def test_a_process_template_is_not_taken_for_the_ecs_one(dev_config: StackConfig) -> None:
    process = dict(ProcessWorker.get_default_base_job_template())
    problems = ecs_template_problems(process, program_ecs_variables(dev_config))
    assert any("not prefect-aws' ECS template" in p for p in problems)


def test_check_worker_exit_code_follows_the_template(
    dev_config: StackConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "ecs.json", tmp_path / "process.json"
    good.write_text(json.dumps(ecs_template()))
    bad.write_text(json.dumps(ProcessWorker.get_default_base_job_template()))
    assert main(["check-worker", str(good)]) == 0
    assert main(["check-worker", str(bad)]) == 1
    assert "not prefect-aws' ECS template" in capsys.readouterr().out


def test_outputs_are_appended_for_the_next_step(tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    write_outputs({"flow-run-id": "abc", "demo-dir": "/w/.demo"}, str(output))
    assert output.read_text() == "earlier=1\nflow-run-id=abc\ndemo-dir=/w/.demo\n"
    write_outputs({"x": "y"}, None)  # outside GitHub: printed only


def test_deploy_without_a_server_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(SystemExit, match="PREFECT_API_URL"):
        main(["deploy"])
