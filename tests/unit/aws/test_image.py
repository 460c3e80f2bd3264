"""The stack's images: ECR repositories, lifecycle policy, and how flow runs start.

Flow runs are configured in two places, the pool's defaults and each deployment's own job
variables (a shared-mode city has only the latter; tests/unit/aws/test_aws_program.py).
"""

from __future__ import annotations

import pytest

from infra.aws.image import ecr_repository_arn, is_digest_pinned, lifecycle_policy
from infra.specs import FLOW_RUN_COMMAND
from tests.pulumi_harness import ProgramRun, run_program

DIGEST = "sha256:" + "ab" * 32


def test_ecr_reference_names_its_repository() -> None:
    ref = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/covid-forecast@{DIGEST}"
    assert ecr_repository_arn(ref) == (
        "arn:aws:ecr:eu-west-1:123456789012:repository/team/covid-forecast"
    )
    tagged = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/covid-forecast:v3"
    assert ecr_repository_arn(tagged) == (
        "arn:aws:ecr:eu-west-1:123456789012:repository/covid-forecast"
    )


def test_china_partition() -> None:
    ref = "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/covid-forecast:v1"
    assert ecr_repository_arn(ref) == (
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/covid-forecast"
    )


def test_non_ecr_images_need_no_ecr_permission() -> None:
    assert ecr_repository_arn(f"ghcr.io/org/covid-forecast@{DIGEST}") is None
    assert ecr_repository_arn("prefecthq/prefect-aws:latest") is None


def test_digest_pinning() -> None:
    assert is_digest_pinned(f"ghcr.io/org/covid-forecast@{DIGEST}")
    assert not is_digest_pinned("ghcr.io/org/covid-forecast:latest")


def test_lifecycle_keeps_the_newest_n_images_of_any_tag() -> None:
    (rule,) = lifecycle_policy(7)["rules"]
    assert rule["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 7,
    }
    assert rule["action"] == {"type": "expire"}


def test_each_target_is_built_into_its_own_repository() -> None:
    run = run_program("madrid")
    built = {
        image.inputs["build"]["target"]: image.inputs["imageName"]
        for image in run.of_type("docker:index/image:Image")
    }
    repositories = {r.inputs["name"] for r in run.of_type("aws:ecr/repository:Repository")}
    assert built["flow"].endswith("/covid-forecast-madrid:flow")
    assert built["worker"].endswith("/covid-forecast-madrid-worker:worker")
    assert {ref.rpartition("/")[2].partition(":")[0] for ref in built.values()} == repositories


def ecs_flow_run_commands(run: ProgramRun) -> list[str]:
    (pool,) = run.dynamic("WorkPool")
    commands = [pool["job_variable_defaults"]["command"]]
    return commands + [d["job_variables"]["command"] for d in run.dynamic("Deployment")]


@pytest.mark.parametrize(
    "overrides",
    [{}, {"imageUri": "ghcr.io/acme/covid-forecast@sha256:" + "cd" * 32}],
    ids=["built-image", "imageUri"],
)
def test_every_ecs_flow_run_starts_the_engine_module_not_the_prefect_cli(
    overrides: dict[str, str],
) -> None:
    run = run_program("madrid", overrides=overrides)
    commands = ecs_flow_run_commands(run)
    assert len(commands) == 3  # pool defaults, covid-prediction/madrid, monitor/madrid
    assert set(commands) == {FLOW_RUN_COMMAND}
    # The image's python runs Prefect's engine through the flow package's wrapper.
    assert FLOW_RUN_COMMAND.split() == ["python", "-m", "flow.engine"]


def test_pool_template_puts_the_command_on_the_flow_container() -> None:
    # prefect-aws' ECS template maps the `command` variable onto the task's container.
    from prefect_aws.workers import ECSWorker

    template = ECSWorker.get_default_base_job_template()
    assert "command" in template["variables"]["properties"]
    assert template["job_configuration"]["command"] == "{{ command }}"
