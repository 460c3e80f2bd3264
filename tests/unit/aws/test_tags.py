"""Every taggable AWS resource of a stack carries `project`, `stack` and `city` (under mocks).

"Taggable" is decided from the AWS SDK's own class for each registered type token: the
resource's inputs include a string map `tags` (the resources AWS default tags would reach).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime.rpc import get_resource_module

from infra.aws.tags import declares_tag_map
from tests.pulumi_harness import ProgramRun, run_program

CANARY_KEY = "pnu_CANARY0123456789abcdefghijklmnopqrstu"


def resource_class(type_token: str) -> type:
    """The SDK class registered for a type token (`aws:ecs/cluster:Cluster` -> `Cluster`).

    Uses the resource module registry the runtime itself uses to rehydrate resource references.
    """
    package, module_name, _ = type_token.split(":")
    module: Any = get_resource_module(package, module_name, "")
    assert module is not None, f"no SDK module registered for {type_token}"
    class_name = module.mod_info["classes"][type_token]
    python_module = __import__(module.mod_info["fqn"], fromlist=[class_name])
    found: type = getattr(python_module, class_name)
    return found


def aws_resources(run: ProgramRun) -> list[Any]:
    return [r for r in run.resources if r.type_.startswith("aws:")]


def untagged(run: ProgramRun, expected: dict[str, str]) -> list[str]:
    """Taggable AWS resources whose tags lack (or contradict) one of the expected tags."""
    missing = []
    for resource in aws_resources(run):
        if not declares_tag_map(resource_class(resource.type_)):
            continue
        tags = resource.inputs.get("tags") or {}
        if any(tags.get(key) != value for key, value in expected.items()):
            missing.append(f"{resource.type_} {resource.name}: {tags}")
    return missing


@pytest.fixture(scope="module")
def madrid() -> ProgramRun:
    return run_program("madrid", secrets={"prefect:apiKey": CANARY_KEY})


def test_taggable_is_read_from_the_sdk_classes() -> None:
    assert declares_tag_map(aws.ecs.Cluster)
    assert declares_tag_map(aws.sns.Topic)
    assert not declares_tag_map(aws.iam.RolePolicy)  # no tags input at all
    assert not declares_tag_map(aws.s3.BucketPublicAccessBlock)
    # Takes `tags` as a list of {key, value, propagate_at_launch}: not a string map.
    assert not declares_tag_map(aws.autoscaling.Group)


def test_every_taggable_aws_resource_carries_the_three_tags(madrid: ProgramRun) -> None:
    expected = {"project": "covid-forecast", "stack": "madrid", "city": "madrid"}
    taggable = [r for r in aws_resources(madrid) if declares_tag_map(resource_class(r.type_))]
    # The check sees a real inventory: roles, queues, cluster, service, bucket, alarm, topic ...
    assert len(taggable) >= 15
    assert {"aws:iam/role:Role", "aws:ecs/service:Service", "aws:s3/bucket:Bucket"} <= {
        r.type_ for r in taggable
    }
    assert untagged(madrid, expected) == []


def test_resources_without_a_tag_map_are_left_alone(madrid: ProgramRun) -> None:
    for resource in aws_resources(madrid):
        if not declares_tag_map(resource_class(resource.type_)):
            assert resource.inputs.get("tags") is None, resource.type_


def test_tags_follow_the_stack_and_city() -> None:
    run = run_program("madrid", overrides={"city": "Castilla-La Mancha", "imageUri": None})
    expected = {"project": "covid-forecast", "stack": "madrid", "city": "castilla-la-mancha"}
    assert untagged(run, expected) == []


def test_a_module_s_own_tags_are_kept_and_the_identity_tags_win() -> None:
    from infra.aws.tags import tag_transformation

    transform = tag_transformation({"project": "covid-forecast", "city": "madrid"})

    args = pulumi.ResourceTransformationArgs(
        resource=object.__new__(aws.sqs.Queue),
        type_="aws:sqs/queue:Queue",
        name="q",
        props={"tags": {"purpose": "events", "city": "paris"}, "name": "q"},
        opts=pulumi.ResourceOptions(),
    )
    result = transform(args)
    assert result is not None
    assert result.props["tags"] == {
        "purpose": "events",
        "city": "madrid",
        "project": "covid-forecast",
    }
    assert result.props["name"] == "q"


def test_the_prefect_objects_carry_the_same_identity(madrid: ProgramRun) -> None:
    cluster_tags = madrid.one("aws:ecs/cluster:Cluster").inputs["tags"]
    pairs = {f"{key}:{value}" for key, value in cluster_tags.items()}
    deployments = madrid.dynamic("Deployment")
    assert deployments
    for deployment in deployments:
        assert pairs <= set(deployment["tags"]), deployment["name"]
