"""The real program on the real `Pulumi.madrid.yaml` under mocks: the aws platform's inventory.

Asserts on types and the inputs that matter (what a reviewer of `pulumi preview` would check),
not on snapshots of everything.
"""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import tests.pulumi_harness as harness
from infra.aws.iam import WILDCARD_RESOURCE_ACTIONS, as_list, statements_of
from infra.aws.shared import PLATFORM_OUTPUTS
from infra.config import PROJECT_DIR, ConfigError
from infra.stack_files import stack_config_values
from tests.pulumi_harness import ProgramRun, leaks, run_program

CANARY_KEY = "pnu_CANARY0123456789abcdefghijklmnopqrstu"
CANARY_AUTH = "admin:CANARY-auth-string-0123456789"
PLATFORM = "acme/covid-forecast/madrid"
DIGEST_IMAGE = "ghcr.io/acme/covid-forecast@sha256:" + "cd" * 32

REPOSITORY = "aws:ecr/repository:Repository"
IMAGE = "docker:index/image:Image"
CLUSTER = "aws:ecs/cluster:Cluster"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
PARAMETER = "aws:ssm/parameter:Parameter"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET = "aws:s3/bucket:Bucket"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


@pytest.fixture(scope="module")
def madrid() -> ProgramRun:
    """The madrid stack as committed, with an API key set as a secret."""
    return run_program("madrid", secrets={"prefect:apiKey": CANARY_KEY})


def pool_defaults(run: ProgramRun) -> dict[str, Any]:
    (pool,) = run.dynamic("WorkPool")
    defaults: dict[str, Any] = pool["job_variable_defaults"]
    return defaults


def policy_of(run: ProgramRun, role_suffix: str) -> dict[str, Any]:
    (policy,) = [r for r in run.of_type(ROLE_POLICY) if r.name.endswith(role_suffix)]
    document: dict[str, Any] = json.loads(policy.inputs["policy"])
    return document


def container_of(run: ProgramRun) -> dict[str, Any]:
    definition = run.one(TASK_DEFINITION)
    (container,) = json.loads(definition.inputs["containerDefinitions"])
    return dict(container)


def test_image_repositories_scan_expire_and_force_delete(madrid: ProgramRun) -> None:
    repositories = madrid.of_type(REPOSITORY)
    names = sorted(r.inputs["name"] for r in repositories)
    assert names == ["covid-forecast-madrid", "covid-forecast-madrid-worker"]
    for repository in repositories:
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["forceDelete"] is True
    for policy in madrid.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        (rule,) = json.loads(policy.inputs["policy"])["rules"]
        assert rule["selection"]["countNumber"] == 10  # imageKeepCount default


def test_images_are_built_for_amd64_from_the_repo_dockerfile_with_ecr_login(
    madrid: ProgramRun,
) -> None:
    images = madrid.of_type(IMAGE)
    assert sorted(image.inputs["build"]["target"] for image in images) == ["flow", "worker"]
    for image in (resource.inputs for resource in images):
        assert image["build"]["platform"] == "linux/amd64"
        assert image["build"]["context"] == str(PROJECT_DIR)
        assert image["build"]["dockerfile"] == str(PROJECT_DIR / "Dockerfile")
        assert image["build"]["cacheFrom"]["images"] == [image["imageName"]]
        assert harness.is_secret_wrapped(image["registry"])  # the ECR token stays encrypted
    assert "aws:ecr/getAuthorizationToken:getAuthorizationToken" in madrid.invokes


def test_pool_and_deployments_use_the_digest_pinned_image(madrid: ProgramRun) -> None:
    pinned = madrid.outputs["image"]
    assert "@sha256:" in pinned
    assert pool_defaults(madrid)["image"] == pinned
    assert [d["job_variables"]["image"] for d in madrid.dynamic("Deployment")] == [pinned] * 2


def test_configured_image_uri_skips_build_and_repository() -> None:
    run = run_program("madrid", overrides={"imageUri": DIGEST_IMAGE})
    assert not run.of_type(REPOSITORY)
    assert not run.of_type(IMAGE)
    assert "aws:ecr/getAuthorizationToken:getAuthorizationToken" not in run.invokes
    assert pool_defaults(run)["image"] == DIGEST_IMAGE
    assert run.outputs["image"] == DIGEST_IMAGE
    # Not an ECR image: the flow runs' execution role gets no ECR permission at all.
    execution = policy_of(run, "madrid-execution")
    assert not [a for s in statements_of(execution) for a in as_list(s["Action"]) if "ecr" in a]


def test_configured_ecr_image_is_pullable_from_its_repository_only() -> None:
    image = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared/covid@sha256:" + "ef" * 32
    run = run_program("madrid", overrides={"imageUri": image})
    execution = policy_of(run, "madrid-execution")
    (pull,) = [s for s in statements_of(execution) if "ecr:BatchGetImage" in s["Action"]]
    assert pull["Resource"] == ["arn:aws:ecr:eu-west-1:210987654321:repository/shared/covid"]


def test_prefect_credential_and_url_are_secure_ssm_parameters(madrid: ProgramRun) -> None:
    parameters = {r.inputs["name"]: r.inputs for r in madrid.of_type(PARAMETER)}
    assert set(parameters) == {
        "/covid-forecast/madrid/prefect-api-url",
        "/covid-forecast/madrid/prefect-api-key",
    }
    assert {p["type"] for p in parameters.values()} == {"SecureString"}
    assert harness.is_secret_wrapped(parameters["/covid-forecast/madrid/prefect-api-key"]["value"])


def test_worker_gets_the_prefect_connection_as_ecs_secrets(madrid: ProgramRun) -> None:
    container = container_of(madrid)
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets == {
        "PREFECT_API_URL": harness._arn("ssm", "parameter/covid-forecast/madrid/prefect-api-url"),
        "PREFECT_API_KEY": harness._arn("ssm", "parameter/covid-forecast/madrid/prefect-api-key"),
    }
    assert not {e["name"] for e in container["environment"]} & set(secrets)


def test_flow_runs_get_the_key_from_the_same_parameter(madrid: ProgramRun) -> None:
    assert pool_defaults(madrid)["prefect_api_key_secret_arn"] == harness._arn(
        "ssm", "parameter/covid-forecast/madrid/prefect-api-key"
    )


def test_auth_string_variant() -> None:
    run = run_program("madrid", secrets={"prefect:authString": CANARY_AUTH})
    assert "prefect_api_key_secret_arn" not in pool_defaults(run)
    arn = harness._arn("ssm", "parameter/covid-forecast/madrid/prefect-auth-string")
    assert pool_defaults(run)["prefect_api_auth_string_secret_arn"] == arn
    secrets = {s["name"]: s["valueFrom"] for s in container_of(run)["secrets"]}
    assert secrets["PREFECT_API_AUTH_STRING"] == arn
    assert leaks(run, CANARY_AUTH) == []


def test_the_api_key_appears_in_plaintext_nowhere(madrid: ProgramRun) -> None:
    assert leaks(madrid, CANARY_KEY) == []
    # The check can see it: the key is there, encrypted, in the SSM parameter.
    wrapped = [r for r in madrid.of_type(PARAMETER) if r.inputs["name"].endswith("prefect-api-key")]
    assert wrapped[0].inputs["value"]["value"] == CANARY_KEY


def test_worker_service_runs_the_stacks_worker_image_on_fargate(madrid: ProgramRun) -> None:
    definition = madrid.one(TASK_DEFINITION).inputs
    assert (definition["cpu"], definition["memory"]) == ("256", "512")
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["networkMode"] == "awsvpc"
    container = container_of(madrid)
    # The stack's own worker image, from its own repository beside the flow image's.
    repository, _, digest = container["image"].partition("@sha256:")
    assert repository == madrid.outputs["image"].partition("@")[0] + "-worker"
    assert len(digest) == 64
    assert container["command"][-3:] == ["--pool", "covid-forecast-madrid", "--with-healthcheck"]
    assert "http://localhost:8080/health" in container["healthCheck"]["command"][-1]
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/covid-forecast/madrid"
    service = madrid.one(SERVICE).inputs
    assert service["desiredCount"] == 1
    assert service["launchType"] == "FARGATE"
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["networkConfiguration"]["subnets"] == harness.DEFAULT_SUBNETS
    assert service["networkConfiguration"]["assignPublicIp"] is True


def test_worker_size_is_configurable_per_stack() -> None:
    run = run_program("madrid", overrides={"workerCpu": 512, "workerMemory": 1024})
    definition = run.one(TASK_DEFINITION).inputs
    assert (definition["cpu"], definition["memory"]) == ("512", "1024")


def test_cluster_logs_and_network(madrid: ProgramRun) -> None:
    cluster = madrid.one(CLUSTER).inputs
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    logs = madrid.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert logs["retentionInDays"] == 30
    group = madrid.one("aws:ec2/securityGroup:SecurityGroup").inputs
    assert group["ingress"] == []
    assert group["vpcId"] == harness.DEFAULT_VPC
    assert [rule["cidrBlocks"] for rule in group["egress"]] == [["0.0.0.0/0"]]


def test_configured_subnets_bring_their_own_vpc() -> None:
    run = run_program("madrid", overrides={"subnetIds": ["subnet-0private000000001"]})
    assert "aws:ec2/getVpc:getVpc" not in run.invokes
    group = run.one("aws:ec2/securityGroup:SecurityGroup").inputs
    assert group["vpcId"] == "vpc-0subnetowner000001"
    defaults = pool_defaults(run)
    assert defaults["vpc_id"] == "vpc-0subnetowner000001"
    assert defaults["network_configuration"]["subnets"] == ["subnet-0private000000001"]


def test_task_events_reach_the_worker_observer(madrid: ProgramRun) -> None:
    rule = madrid.one("aws:cloudwatch/eventRule:EventRule").inputs
    pattern = json.loads(rule["eventPattern"])
    assert pattern["detail"]["clusterArn"] == [harness._arn("ecs", "cluster/covid-forecast-madrid")]
    environment = {e["name"]: e["value"] for e in container_of(madrid)["environment"]}
    queue = environment["PREFECT_INTEGRATIONS_AWS_ECS_OBSERVER_SQS_QUEUE_NAME"]
    assert queue in {q.inputs.get("name") for q in madrid.of_type("aws:sqs/queue:Queue")}


def test_results_bucket_is_private_versioned_encrypted(madrid: ProgramRun) -> None:
    bucket = madrid.one(BUCKET)
    assert bucket.inputs["forceDestroy"] is False
    block = madrid.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    versioning = madrid.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    encryption = madrid.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
    (results,) = madrid.dynamic("Block")
    assert results["type_slug"] == "s3-bucket"
    assert results["data"] == {"bucket_name": f"{bucket.name}-0123abcd", "bucket_folder": ""}


def test_force_destroy_is_configurable() -> None:
    run = run_program("madrid", overrides={"resultsForceDestroy": True})
    assert run.one(BUCKET).inputs["forceDestroy"] is True


def test_an_existing_results_location_creates_no_bucket() -> None:
    run = run_program("madrid", overrides={"resultsUri": "s3://team-forecasts/covid/madrid"})
    assert not run.of_type(BUCKET)
    (results,) = run.dynamic("Block")
    assert results["data"] == {"bucket_name": "team-forecasts", "bucket_folder": "covid/madrid"}
    (write,) = [
        s for s in statements_of(policy_of(run, "-flow-run")) if "s3:PutObject" in s["Action"]
    ]
    assert write["Resource"] == ["arn:aws:s3:::team-forecasts/covid/madrid/*"]
    assert run.outputs["resultsLocation"] == "s3://team-forecasts/covid/madrid"


def test_ecs_pool_defaults_come_from_the_aws_resources(madrid: ProgramRun) -> None:
    (pool,) = madrid.dynamic("WorkPool")
    assert (pool["name"], pool["type"]) == ("covid-forecast-madrid", "ecs")
    defaults = pool_defaults(madrid)
    roles = {r.name: r for r in madrid.of_type(ROLE)}
    assert defaults["cluster"] == harness._arn("ecs", "cluster/covid-forecast-madrid")
    assert defaults["vpc_id"] == harness.DEFAULT_VPC
    assert defaults["network_configuration"] == {
        "subnets": harness.DEFAULT_SUBNETS,
        "securityGroups": ["covid-forecast-madrid-network-tasks-id"],
        "assignPublicIp": "ENABLED",
    }
    assert defaults["execution_role_arn"].endswith(":role/covid-forecast-madrid-execution")
    assert defaults["task_role_arn"].endswith(":role/covid-forecast-madrid-flow-run")
    assert "covid-forecast-madrid-flow-run" in roles
    assert (defaults["cpu"], defaults["memory"]) == (512, 2048)
    assert defaults["configure_cloudwatch_logs"] is True
    assert defaults["cloudwatch_logs_options"]["awslogs-group"] == "/covid-forecast/madrid"


def test_pool_sets_only_variables_the_ecs_template_declares(madrid: ProgramRun) -> None:
    from prefect_aws.workers import ECSWorker

    declared = ECSWorker.get_default_base_job_template()["variables"]["properties"]
    assert set(pool_defaults(madrid)) <= set(declared)
    for deployment in madrid.dynamic("Deployment"):
        assert set(deployment["job_variables"]) <= set(declared)


def test_no_aws_access_key_block(madrid: ProgramRun) -> None:
    assert [b["type_slug"] for b in madrid.dynamic("Block")] == ["s3-bucket"]


def test_deployments_carry_the_schedule_and_model_parameters(madrid: ProgramRun) -> None:
    forecast, monitor = madrid.dynamic("Deployment")
    assert (forecast["flow_name"], forecast["name"]) == ("covid-prediction", "madrid")
    assert (monitor["flow_name"], monitor["name"]) == ("monitor", "madrid")
    assert forecast["schedule"] == {
        "cron": "0 6 * * *",
        "timezone": "Europe/Madrid",
        "active": True,
    }
    assert monitor["schedule"]["cron"] == "0 7 * * 1"
    assert forecast["parameters"]["run_id"] == "3f6c2b9a8d7e4f1a9b0c5d2e7f8a1b3c"
    assert (
        forecast["parameters"]["artifact_root"] == "s3://covid-forecast-mlflow-eu-west-1/artifacts"
    )
    assert forecast["parameters"]["results_block"] == "s3-bucket/covid-forecast-madrid-results"
    assert forecast["work_pool_name"] == "covid-forecast-madrid"
    assert forecast["job_variables"]["cpu"] == 512


def test_outputs(madrid: ProgramRun) -> None:
    outputs = madrid.outputs
    assert set(PLATFORM_OUTPUTS) <= set(outputs)  # any self-contained stack can be a platform
    assert outputs["clusterName"] == "covid-forecast-madrid"
    assert outputs["serviceName"] == "covid-forecast-madrid-worker"
    assert outputs["logGroup"] == "/covid-forecast/madrid"
    assert outputs["workPool"] == "covid-forecast-madrid"
    assert outputs["deploymentName"] == "covid-prediction/madrid"
    assert outputs["deploymentId"] and outputs["deploymentUrl"].startswith("https://")
    assert outputs["resultsLocation"].startswith("s3://covid-forecast-madrid-results")
    assert outputs["workerTaskDefinition"]["containerDefinitions"][0]["name"] == "prefect-worker"
    assert outputs["flowRunReads"] == ["s3://covid-forecast-mlflow-eu-west-1/artifacts/"]


def all_statements(run: ProgramRun) -> list[dict[str, Any]]:
    return [
        statement
        for policy in run.of_type(ROLE_POLICY)
        for statement in statements_of(json.loads(policy.inputs["policy"]))
    ]


def test_iam_no_action_star_and_every_resource_star_is_allow_listed(madrid: ProgramRun) -> None:
    statements = all_statements(madrid)
    assert len(madrid.of_type(ROLE_POLICY)) == 4
    for statement in statements:
        assert "*" not in as_list(statement["Action"])
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= set(WILDCARD_RESOURCE_ACTIONS), statement


def test_pass_role_is_limited_to_the_flow_run_roles(madrid: ProgramRun) -> None:
    passing = [s for s in all_statements(madrid) if "iam:PassRole" in as_list(s["Action"])]
    arn = f"arn:aws:iam::{harness.ACCOUNT_ID}:role"
    assert [s["Resource"] for s in passing] == [
        [f"{arn}/covid-forecast-madrid-execution", f"{arn}/covid-forecast-madrid-flow-run"]
    ]
    # The worker's own role is never passable.
    assert f"{arn}/covid-forecast-madrid-worker" not in passing[0]["Resource"]


def test_roles_trust_only_ecs_tasks(madrid: ProgramRun) -> None:
    # Task roles only for this account's tasks; execution roles as AWS documents them
    # (tests/unit/aws/test_iam.py).
    for role in madrid.of_type(ROLE):
        (statement,) = statements_of(json.loads(role.inputs["assumeRolePolicy"]))
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        if role.name.endswith("-execution"):
            assert "Condition" not in statement, role.name
        else:
            assert statement["Condition"]["StringEquals"] == {
                "aws:SourceAccount": harness.ACCOUNT_ID
            }


def comparable(run: ProgramRun) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r.type_, r.name): r.inputs for r in run.resources}


def test_changing_only_run_id_changes_only_the_deployments(madrid: ProgramRun) -> None:
    rollout = run_program(
        "madrid",
        overrides={"runId": "0" * 32},
        secrets={"prefect:apiKey": CANARY_KEY},
    )
    before, after = comparable(madrid), comparable(rollout)
    assert before.keys() == after.keys()
    changed = sorted(key for key in before if before[key] != after[key])
    assert changed == [
        ("pulumi-python:dynamic/prefect:Deployment", "covid-forecast-madrid-covid-prediction"),
        ("pulumi-python:dynamic/prefect:Deployment", "covid-forecast-madrid-monitor"),
    ]
    for key in changed:
        assert after[key]["parameters"]["run_id"] == "0" * 32
        assert {k: v for k, v in after[key].items() if k != "parameters"} == {
            k: v for k, v in before[key].items() if k != "parameters"
        }


@pytest.mark.parametrize(
    "overrides",
    [
        {"workerCpu": 300},
        {"flowCpu": 256, "flowMemory": 4096},
        {"resultsUri": "https://not-s3.example.org/results"},
        {"imageUri": "Not An Image!"},
    ],
)
def test_bad_config_fails_before_any_resource(overrides: dict[str, Any]) -> None:
    run = ProgramRun("madrid")
    with pytest.raises(ConfigError) as error:
        run_program("madrid", overrides=overrides, run=run)
    assert run.resources == []
    assert next(iter(overrides)) in str(error.value)


# --- shared mode ---------------------------------------------------------------------------

CITY_STACK = """\
config:
  aws:region: eu-west-1
  covid-forecast:city: {city}
  covid-forecast:country: Spain
  covid-forecast:runId: 3f6c2b9a8d7e4f1a9b0c5d2e7f8a1b3c
  covid-forecast:modelArtifactsUri: s3://covid-forecast-mlflow-eu-west-1/artifacts
  covid-forecast:flowMemory: 4096
  covid-forecast:platformStack: {platform}
  prefect:apiUrl: https://api.prefect.cloud/api/accounts/a/workspaces/w
"""


@pytest.fixture
def city_stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project dir with the real Pulumi.yaml and madrid stack, plus two shared-mode cities."""
    for name in ("Pulumi.yaml", "Pulumi.madrid.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    for stack, city in (("catalonia", "Catalonia"), ("valencia", "Valencia")):
        text = CITY_STACK.format(city=city, platform=PLATFORM)
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    monkeypatch.setattr(
        harness, "stack_config_values", partial(stack_config_values, project_dir=tmp_path)
    )
    return tmp_path


def run_city(stack: str, platform: ProgramRun, **overrides: Any) -> ProgramRun:
    return run_program(stack, overrides=overrides, stack_references={PLATFORM: platform.outputs})


def only(run: ProgramRun) -> set[str]:
    return {r.type_ for r in run.resources}


def test_shared_cities_add_only_their_deployment(city_stacks: Path, madrid: ProgramRun) -> None:
    runs = {stack: run_city(stack, madrid) for stack in ("catalonia", "valencia")}
    for stack, run in runs.items():
        # Its deployment and the automation watching it for stuck runs: nothing always-on.
        assert only(run) == {
            STACK_REFERENCE,
            "pulumi-python:dynamic/prefect:Deployment",
            "pulumi-python:dynamic/prefect:Automation",
        }
        assert run.one(STACK_REFERENCE).name == PLATFORM
        (deployment,) = run.dynamic("Deployment")
        assert (deployment["flow_name"], deployment["name"]) == ("covid-prediction", stack)
        assert deployment["work_pool_name"] == madrid.outputs["workPool"]
        assert deployment["parameters"]["results_block"] == madrid.outputs["resultsBlock"]
        assert deployment["job_variables"] == {
            "image": madrid.outputs["image"],
            "command": "python -m flow.engine",
            "cpu": 512,
            "memory": 4096,  # the city's own flow size, on the shared pool
        }
        assert run.outputs["workPool"] == madrid.outputs["workPool"]
        assert run.outputs["deploymentName"] == f"covid-prediction/{stack}"
        assert run.outputs["platformStack"] == PLATFORM


def test_shared_city_refuses_keys_the_platform_decides(city_stacks: Path) -> None:
    run = ProgramRun("catalonia")
    with pytest.raises(ConfigError) as error:
        run_program(
            "catalonia",
            overrides={"resultsUri": "s3://mine/results", "subnetIds": ["subnet-1"]},
            run=run,
        )
    assert run.resources == []
    assert "resultsUri" in str(error.value)
    assert "subnetIds" in str(error.value)
    assert "pulumi config rm" in str(error.value)


def test_shared_city_whose_model_the_platform_cannot_read_fails(
    city_stacks: Path, madrid: ProgramRun
) -> None:
    with pytest.raises(ValueError, match="s3://other-models/catalonia/"):
        run_city("catalonia", madrid, modelArtifactsUri="s3://other-models/catalonia")


def test_a_stack_that_is_not_a_platform_is_refused(city_stacks: Path, madrid: ProgramRun) -> None:
    city = run_city("valencia", madrid)
    with pytest.raises(ValueError, match="does not export"):
        run_program("catalonia", stack_references={PLATFORM: city.outputs})
