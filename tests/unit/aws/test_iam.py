"""The IAM policy functions, without Pulumi: least privilege, every `*` on the allow-list."""

from __future__ import annotations

from typing import Any

import pytest

from infra.aws.iam import (
    WILDCARD_RESOURCE_ACTIONS,
    as_list,
    ecs_tasks_trust_policy,
    events_queue_policy,
    execution_role_policy,
    flow_run_task_role_policy,
    statements_of,
    wildcard_resource_actions,
    worker_task_role_policy,
)
from infra.aws.locations import S3Location

ACCOUNT, REGION = "123456789012", "eu-west-1"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/covid-forecast/madrid"
PARAMETERS = [
    f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/covid-forecast/madrid/prefect-api-url",
    f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/covid-forecast/madrid/prefect-api-key",
]
REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/covid-forecast-madrid"
EXECUTION = f"arn:aws:iam::{ACCOUNT}:role/madrid-execution"
FLOW_RUN = f"arn:aws:iam::{ACCOUNT}:role/madrid-flow-run"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:covid-forecast-madrid-ecs-events"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/covid-forecast-madrid"


def worker_policy() -> dict[str, Any]:
    return worker_task_role_policy(
        partition="aws",
        region=REGION,
        account_id=ACCOUNT,
        cluster_name="covid-forecast-madrid",
        work_pool_name="covid-forecast-madrid",
        passable_role_arns=[EXECUTION, FLOW_RUN],
        log_group_arn=LOG_GROUP,
        events_queue_arn=QUEUE,
    )


def execution_policy(repositories: list[str]) -> dict[str, Any]:
    return execution_role_policy(
        log_group_arn=LOG_GROUP, parameter_arns=PARAMETERS, repository_arns=repositories
    )


MODEL = S3Location("mlflow-bucket", "artifacts/")
RESULTS = S3Location("results-bucket", "forecasts/")


def flow_run_policy() -> dict[str, Any]:
    return flow_run_task_role_policy(reads=[MODEL], writes=[RESULTS])


def grants(policy: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """The statements of `policy` that allow `action`."""
    return [s for s in statements_of(policy) if action in as_list(s["Action"])]


ALL_POLICIES = {
    "execution": lambda: execution_policy([REPOSITORY]),
    "worker": worker_policy,
    "flow-run": flow_run_policy,
}


@pytest.mark.parametrize("name", sorted(ALL_POLICIES))
def test_no_statement_grants_every_action_of_a_service(name: str) -> None:
    for statement in statements_of(ALL_POLICIES[name]()):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert action != "*"
            assert not action.endswith(":*"), f"{name}: {action}"


@pytest.mark.parametrize("name", sorted(ALL_POLICIES))
def test_resource_star_only_for_allow_listed_actions(name: str) -> None:
    assert wildcard_resource_actions(ALL_POLICIES[name]()) <= set(WILDCARD_RESOURCE_ACTIONS)


def test_the_allow_list_is_exactly_what_the_policies_use() -> None:
    used = set().union(*(wildcard_resource_actions(build()) for build in ALL_POLICIES.values()))
    # Five, each justified in WILDCARD_RESOURCE_ACTIONS; a new one must be justified there.
    assert used == set(WILDCARD_RESOURCE_ACTIONS)
    assert len(used) == 5
    assert all(reason.strip() for reason in WILDCARD_RESOURCE_ACTIONS.values())


def test_trust_policy_admits_only_ecs_tasks_of_this_account_and_region() -> None:
    (statement,) = statements_of(ecs_tasks_trust_policy(ACCOUNT, REGION))
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"
    }


def test_execution_role_reads_exactly_the_stacks_parameters() -> None:
    (read,) = grants(execution_policy([REPOSITORY]), "ssm:GetParameters")
    assert read["Resource"] == PARAMETERS
    assert not grants(execution_policy([REPOSITORY]), "ssm:GetParameter")


def test_execution_role_pulls_only_the_flow_repository() -> None:
    (pull,) = grants(execution_policy([REPOSITORY]), "ecr:BatchGetImage")
    assert pull["Resource"] == [REPOSITORY]
    assert set(pull["Action"]) == {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    }


def test_execution_role_without_ecr_image_has_no_ecr_grant() -> None:
    policy = execution_policy([])
    assert not [a for s in statements_of(policy) for a in as_list(s["Action"]) if "ecr:" in a]
    assert wildcard_resource_actions(policy) == set()


def test_execution_role_writes_only_its_log_group() -> None:
    (logs,) = grants(execution_policy([]), "logs:PutLogEvents")
    assert logs["Resource"] == [f"{LOG_GROUP}:*"]
    assert not grants(execution_policy([]), "logs:CreateLogGroup")


def test_worker_passes_only_the_flow_run_roles_and_only_to_ecs_tasks() -> None:
    (passing,) = grants(worker_policy(), "iam:PassRole")
    assert passing["Resource"] == [EXECUTION, FLOW_RUN]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }


def test_worker_runs_only_the_pools_task_definitions_in_its_cluster() -> None:
    (run,) = grants(worker_policy(), "ecs:RunTask")
    assert run["Resource"] == [
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/prefect_covid-forecast-madrid_*:*"
    ]
    assert run["Condition"] == {"ArnEquals": {"ecs:cluster": CLUSTER}}
    for action in ("ecs:StopTask", "ecs:DescribeTasks"):
        (statement,) = grants(worker_policy(), action)
        assert statement["Resource"] == [
            f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/covid-forecast-madrid/*"
        ]
        assert statement["Condition"] == {"ArnEquals": {"ecs:cluster": CLUSTER}}


def test_worker_tags_only_when_launching() -> None:
    (tagging,) = grants(worker_policy(), "ecs:TagResource")
    assert tagging["Condition"] == {"StringEquals": {"ecs:CreateAction": "RunTask"}}


def test_worker_consumes_only_its_event_queue_and_reads_only_its_logs() -> None:
    (queue,) = grants(worker_policy(), "sqs:ReceiveMessage")
    assert queue["Resource"] == [QUEUE]
    assert not grants(worker_policy(), "sqs:SendMessage")
    (logs,) = grants(worker_policy(), "logs:GetLogEvents")
    assert logs["Resource"] == [f"{LOG_GROUP}:*"]


def test_worker_cannot_touch_s3_or_secrets() -> None:
    actions = {a for s in statements_of(worker_policy()) for a in as_list(s["Action"])}
    assert not {a for a in actions if a.split(":")[0] in {"s3", "ssm", "secretsmanager", "kms"}}


def test_flow_run_reads_the_model_prefix_and_writes_only_the_results_prefix() -> None:
    policy = flow_run_policy()
    (read,) = grants(policy, "s3:GetObject")
    assert read["Resource"] == ["arn:aws:s3:::mlflow-bucket/artifacts/*"]
    (write,) = grants(policy, "s3:PutObject")
    assert write["Resource"] == ["arn:aws:s3:::results-bucket/forecasts/*"]
    assert not grants(policy, "s3:DeleteObject")
    (listing,) = grants(policy, "s3:ListBucket")
    assert listing["Resource"] == ["arn:aws:s3:::mlflow-bucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["artifacts", "artifacts/*"]}}


def test_flow_run_reading_a_whole_bucket_lists_it_without_condition() -> None:
    policy = flow_run_task_role_policy(reads=[S3Location("data-bucket")], writes=[])
    (listing,) = grants(policy, "s3:ListBucket")
    assert "Condition" not in listing
    assert grants(policy, "s3:PutObject") == []


def test_events_queue_accepts_messages_only_from_its_rule() -> None:
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/covid-forecast-madrid-ecs-events-rule"
    (statement,) = statements_of(events_queue_policy(queue_arn=QUEUE, rule_arn=rule))
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == QUEUE
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule}}
