"""IAM: the policy functions without Pulumi, then the four roles as the program declares them.

Least privilege, every `*` on the allow-list, and the audit of issue 15 (read against
prefect-aws 0.7.12's own calls), each change with its reason:
- execution roles trust ECS in the form AWS documents for them (no `aws:SourceArn` /
  `aws:SourceAccount`: not documented for the execution role, and a key ECS does not supply
  would stop every task); task roles keep that confused-deputy guard;
- one execution role per kind of task: the worker's reads the Prefect URL and credential and
  pulls the worker image, the flow runs' reads only the credential and pulls only the flow image;
- `sqs:GetQueueAttributes` is gone (the observer never calls it);
- `s3:prefix` values keep the folder's trailing `/` (`artifacts` would also list `artifacts-old/`);
- `logs:GetLogEvents` covers only the pool's flow-run streams, not the worker's own;
- the worker container names its region (`AWS_REGION`): the observer's clients read it from the
  environment only.
"""

from __future__ import annotations

import inspect
import json
import re
from fnmatch import fnmatchcase
from typing import Any

import prefect_aws.observers.ecs as ecs_observer
import prefect_aws.workers.ecs_worker as ecs_worker
import pytest

from infra.aws.iam import (
    FLOW_RUN_LOG_STREAM_PREFIX,
    WILDCARD_RESOURCE_ACTIONS,
    as_list,
    ecs_execution_trust_policy,
    ecs_tasks_trust_policy,
    events_queue_policy,
    execution_role_policy,
    flow_run_log_streams_arn,
    flow_run_task_role_policy,
    statements_of,
    wildcard_resource_actions,
    worker_task_role_policy,
)
from infra.aws.locations import S3Location
from tests import pulumi_harness as harness
from tests.pulumi_harness import ProgramRun, run_program

ACCOUNT, REGION = "123456789012", "eu-west-1"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/covid-forecast/madrid"
POOL = "covid-forecast-madrid"
API_URL = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/covid-forecast/madrid/prefect-api-url"
API_KEY = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/covid-forecast/madrid/prefect-api-key"
FLOW_REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/covid-forecast-madrid"
WORKER_REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/covid-forecast-madrid-worker"
EXECUTION = f"arn:aws:iam::{ACCOUNT}:role/madrid-execution"
FLOW_RUN = f"arn:aws:iam::{ACCOUNT}:role/madrid-flow-run"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:covid-forecast-madrid-ecs-events"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/covid-forecast-madrid"
# Granted before the audit and never called by prefect-aws 0.7.12's worker or observer.
UNUSED_ACTIONS = {"sqs:GetQueueAttributes"}


def worker_policy() -> dict[str, Any]:
    return worker_task_role_policy(
        partition="aws",
        region=REGION,
        account_id=ACCOUNT,
        cluster_name="covid-forecast-madrid",
        work_pool_name=POOL,
        passable_role_arns=[EXECUTION, FLOW_RUN],
        log_group_arn=LOG_GROUP,
        events_queue_arn=QUEUE,
    )


def worker_execution_policy() -> dict[str, Any]:
    return execution_role_policy(
        log_group_arn=LOG_GROUP,
        parameter_arns=[API_URL, API_KEY],
        repository_arns=[WORKER_REPOSITORY],
    )


def flow_run_execution_policy(repositories: list[str] | None = None) -> dict[str, Any]:
    return execution_role_policy(
        log_group_arn=LOG_GROUP,
        parameter_arns=[API_KEY],
        repository_arns=[FLOW_REPOSITORY] if repositories is None else repositories,
    )


MODEL = S3Location("mlflow-bucket", "artifacts/")
RESULTS = S3Location("results-bucket", "forecasts/")


def flow_run_policy() -> dict[str, Any]:
    return flow_run_task_role_policy(reads=[MODEL], writes=[RESULTS])


def grants(policy: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """The statements of `policy` that allow `action`."""
    return [s for s in statements_of(policy) if action in as_list(s["Action"])]


def actions(policy: dict[str, Any]) -> set[str]:
    return {a for s in statements_of(policy) for a in as_list(s["Action"])}


ALL_POLICIES = {
    "worker-execution": worker_execution_policy,
    "flow-run-execution": flow_run_execution_policy,
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


@pytest.mark.parametrize("name", sorted(ALL_POLICIES))
def test_no_statement_grants_an_action_the_audit_found_unused(name: str) -> None:
    assert not actions(ALL_POLICIES[name]()) & UNUSED_ACTIONS


def test_the_allow_list_is_exactly_what_the_policies_use() -> None:
    used = set().union(*(wildcard_resource_actions(build()) for build in ALL_POLICIES.values()))
    # Five, each justified in WILDCARD_RESOURCE_ACTIONS; a new one must be justified there.
    assert used == set(WILDCARD_RESOURCE_ACTIONS)
    assert len(used) == 5
    assert all(reason.strip() for reason in WILDCARD_RESOURCE_ACTIONS.values())


def test_task_roles_trust_only_ecs_tasks_of_this_account_and_region() -> None:
    (statement,) = statements_of(ecs_tasks_trust_policy(ACCOUNT, REGION))
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"
    }


def test_execution_roles_trust_ecs_in_the_documented_form_without_conditions() -> None:
    # AWS's task execution IAM role page, verbatim in meaning: no condition keys, because the
    # page documents none for this role and an unsupplied key would stop every task.
    assert ecs_execution_trust_policy() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def test_execution_role_reads_exactly_the_parameters_it_is_given() -> None:
    (read,) = grants(worker_execution_policy(), "ssm:GetParameters")
    assert read["Resource"] == [API_URL, API_KEY]
    (read,) = grants(flow_run_execution_policy(), "ssm:GetParameters")
    assert read["Resource"] == [API_KEY]
    assert not grants(worker_execution_policy(), "ssm:GetParameter")


def test_execution_role_pulls_only_its_own_repository() -> None:
    for policy, repository in (
        (worker_execution_policy(), WORKER_REPOSITORY),
        (flow_run_execution_policy(), FLOW_REPOSITORY),
    ):
        (pull,) = grants(policy, "ecr:BatchGetImage")
        assert pull["Resource"] == [repository]
        assert set(pull["Action"]) == {
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
        }


def test_execution_role_without_ecr_image_has_no_ecr_grant() -> None:
    policy = flow_run_execution_policy([])
    assert not [a for a in actions(policy) if "ecr:" in a]
    assert wildcard_resource_actions(policy) == set()


def test_execution_role_writes_only_its_log_group() -> None:
    (logs,) = grants(flow_run_execution_policy([]), "logs:PutLogEvents")
    assert logs["Resource"] == [f"{LOG_GROUP}:*"]
    assert not grants(flow_run_execution_policy([]), "logs:CreateLogGroup")


def test_worker_passes_only_the_flow_run_roles_and_only_to_ecs_tasks() -> None:
    (passing,) = grants(worker_policy(), "iam:PassRole")
    assert passing["Resource"] == [EXECUTION, FLOW_RUN]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }


def test_worker_runs_only_the_pools_task_definitions_in_its_cluster() -> None:
    (run,) = grants(worker_policy(), "ecs:RunTask")
    assert run["Resource"] == [f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/prefect_{POOL}_*:*"]
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


def snake(action: str) -> str:
    """`sqs:ReceiveMessage` -> `receive_message` (the botocore method name)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", action.split(":")[1]).lower()


def test_worker_consumes_its_event_queue_with_exactly_the_observers_calls() -> None:
    (queue,) = grants(worker_policy(), "sqs:ReceiveMessage")
    assert queue["Resource"] == [QUEUE]
    assert not grants(worker_policy(), "sqs:SendMessage")
    # Every SQS action granted is one the installed observer calls, and the other way round.
    source = inspect.getsource(ecs_observer)
    called = set(re.findall(r"sqs_client\.(\w+)\(", source))
    assert {snake(a) for a in as_list(queue["Action"])} == called
    assert "get_queue_attributes" not in called


def test_worker_reads_only_flow_run_log_streams() -> None:
    (logs,) = grants(worker_policy(), "logs:GetLogEvents")
    (pattern,) = logs["Resource"]
    assert pattern == flow_run_log_streams_arn(LOG_GROUP, POOL)
    stream = f"{LOG_GROUP}:log-stream:{{}}"
    flow_run = stream.format(
        f"prefect-logs_{POOL}_5f0c7d1e-1111-2222-3333-444455556666/prefect/ab12"
    )
    assert fnmatchcase(flow_run, pattern)
    for other in (
        "worker/prefect-worker/0123abcd",  # the worker's own stream (infra/aws/logs.py)
        "prefect-logs_other-pool_5f0c7d1e/prefect/ab12",  # another pool's flow runs
    ):
        assert not fnmatchcase(stream.format(other), pattern), other


def test_flow_run_stream_prefix_is_the_one_prefect_aws_writes() -> None:
    # prefect-aws names flow-run streams after the pool when `cloudwatch_logs_prefix` is unset.
    source = inspect.getsource(ecs_worker)
    assert f'f"{FLOW_RUN_LOG_STREAM_PREFIX}{{self._work_pool_name}}"' in source


def test_worker_cannot_touch_s3_or_secrets() -> None:
    service = {a.split(":")[0] for a in actions(worker_policy())}
    assert not service & {"s3", "ssm", "secretsmanager", "kms"}


def test_flow_run_reads_the_model_prefix_and_writes_only_the_results_prefix() -> None:
    policy = flow_run_policy()
    (read,) = grants(policy, "s3:GetObject")
    assert read["Resource"] == ["arn:aws:s3:::mlflow-bucket/artifacts/*"]
    (write,) = grants(policy, "s3:PutObject")
    assert write["Resource"] == ["arn:aws:s3:::results-bucket/forecasts/*"]
    assert not grants(policy, "s3:DeleteObject")
    (listing,) = grants(policy, "s3:ListBucket")
    assert listing["Resource"] == ["arn:aws:s3:::mlflow-bucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["artifacts/", "artifacts/*"]}}


def test_listing_a_folder_never_reveals_its_siblings() -> None:
    (listing,) = grants(flow_run_policy(), "s3:ListBucket")
    values = listing["Condition"]["StringLike"]["s3:prefix"]
    assert all(value.removesuffix("*").endswith("/") for value in values)
    allowed = ["artifacts/", "artifacts/1/models/", "artifacts/1/models/m-1/artifacts/MLmodel"]
    for prefix in allowed:
        assert any(fnmatchcase(prefix, value) for value in values), prefix
    for prefix in ("artifacts", "artifacts-old/", "artifacts2/x"):
        assert not any(fnmatchcase(prefix, value) for value in values), prefix


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


# The roles as the program declares them (pulumi mocks, the committed madrid stack).

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECR_IMAGE = f"{harness.ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/shared/covid@sha256:" + "ab" * 32
WORKER_EXECUTION_ROLE = "covid-forecast-madrid-worker-execution"
FLOW_RUN_EXECUTION_ROLE = "covid-forecast-madrid-execution"


@pytest.fixture(scope="module")
def madrid() -> ProgramRun:
    return run_program("madrid", secrets={"prefect:apiKey": "CANARY-key-for-iam-0123456789"})


def role_policy(run: ProgramRun, role: str) -> dict[str, Any]:
    (policy,) = [r for r in run.of_type(ROLE_POLICY) if r.name == role]
    document: dict[str, Any] = json.loads(policy.inputs["policy"])
    return document


def readable_parameters(run: ProgramRun, role: str) -> set[str]:
    return {
        arn for s in grants(role_policy(run, role), "ssm:GetParameters") for arn in s["Resource"]
    }


def pullable_repositories(run: ProgramRun, role: str) -> set[str]:
    return {
        arn for s in grants(role_policy(run, role), "ecr:BatchGetImage") for arn in s["Resource"]
    }


def worker_task_definition(run: ProgramRun) -> dict[str, Any]:
    return dict(run.one(TASK_DEFINITION).inputs)


def test_two_execution_roles_one_for_the_worker_one_for_flow_runs(madrid: ProgramRun) -> None:
    roles = {r.name: json.loads(r.inputs["assumeRolePolicy"]) for r in madrid.of_type(ROLE)}
    assert sorted(roles) == sorted(
        [
            WORKER_EXECUTION_ROLE,
            FLOW_RUN_EXECUTION_ROLE,
            "covid-forecast-madrid-worker",
            "covid-forecast-madrid-flow-run",
        ]
    )
    for name in (WORKER_EXECUTION_ROLE, FLOW_RUN_EXECUTION_ROLE):
        assert roles[name] == ecs_execution_trust_policy()
    arn = f"arn:aws:iam::{harness.ACCOUNT_ID}:role"
    assert worker_task_definition(madrid)["executionRoleArn"] == f"{arn}/{WORKER_EXECUTION_ROLE}"
    (pool,) = madrid.dynamic("WorkPool")
    assert pool["job_variable_defaults"]["execution_role_arn"] == f"{arn}/{FLOW_RUN_EXECUTION_ROLE}"


def test_each_execution_role_reads_exactly_the_parameters_its_tasks_get(
    madrid: ProgramRun,
) -> None:
    (container,) = json.loads(worker_task_definition(madrid)["containerDefinitions"])
    worker_gets = {secret["valueFrom"] for secret in container["secrets"]}
    (pool,) = madrid.dynamic("WorkPool")
    defaults = pool["job_variable_defaults"]
    flow_runs_get = {v for k, v in defaults.items() if k.endswith("_secret_arn")}
    assert readable_parameters(madrid, WORKER_EXECUTION_ROLE) == worker_gets
    assert readable_parameters(madrid, FLOW_RUN_EXECUTION_ROLE) == flow_runs_get
    # The Prefect URL parameter is the worker's alone.
    url = harness._arn("ssm", "parameter/covid-forecast/madrid/prefect-api-url")
    assert url in worker_gets and url not in readable_parameters(madrid, FLOW_RUN_EXECUTION_ROLE)


def test_an_ecr_flow_image_is_pullable_by_flow_runs_only() -> None:
    # `imageUri` in ECR: flow runs pull it; the worker runs the public prefect-aws image.
    run = run_program("madrid", overrides={"imageUri": ECR_IMAGE})
    repository = f"arn:aws:ecr:eu-west-1:{harness.ACCOUNT_ID}:repository/shared/covid"
    assert pullable_repositories(run, FLOW_RUN_EXECUTION_ROLE) == {repository}
    assert pullable_repositories(run, WORKER_EXECUTION_ROLE) == set()
    assert not [a for a in actions(role_policy(run, WORKER_EXECUTION_ROLE)) if "ecr:" in a]


def test_built_images_are_pullable_each_by_its_own_role_only(madrid: ProgramRun) -> None:
    worker = pullable_repositories(madrid, WORKER_EXECUTION_ROLE)
    flow_runs = pullable_repositories(madrid, FLOW_RUN_EXECUTION_ROLE)
    assert worker and flow_runs and not worker & flow_runs


def test_no_role_grants_an_action_the_audit_found_unused(madrid: ProgramRun) -> None:
    granted = {
        action
        for policy in madrid.of_type(ROLE_POLICY)
        for action in actions(json.loads(policy.inputs["policy"]))
    }
    assert not granted & UNUSED_ACTIONS
    assert "logs:GetLogEvents" in granted


def test_worker_container_names_the_stacks_region(madrid: ProgramRun) -> None:
    (container,) = json.loads(worker_task_definition(madrid)["containerDefinitions"])
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["AWS_REGION"] == harness.REGION
    assert container["logConfiguration"]["options"]["awslogs-region"] == harness.REGION


def test_the_api_key_is_still_nowhere_in_plaintext(madrid: ProgramRun) -> None:
    assert harness.leaks(madrid, "CANARY-key-for-iam-0123456789") == []
