"""The pack's rules as plain functions: the IAM, log, tag and credential edge cases."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy.rules import (
    StackResource,
    action_star_violations,
    bucket_violations,
    is_taggable,
    log_retention_violations,
    pass_role_violations,
    prefect_credential_violations,
    tag_violations,
)

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    ("action", "flagged"),
    [("*", True), (["s3:GetObject", "*"], True), ("s3:*", False), (["ecs:RunTask"], False)],
)
def test_action_star_is_exactly_the_all_actions_wildcard(action: Any, flagged: bool) -> None:
    props = {"policy": document(allow(action))}
    assert bool(action_star_violations(ROLE_POLICY, props)) is flagged


def test_deny_statements_and_non_iam_documents_are_not_grants() -> None:
    assert (
        action_star_violations(ROLE_POLICY, {"policy": document(allow("*", effect="Deny"))}) == []
    )
    lifecycle = json.dumps({"rules": [{"rulePriority": 1, "action": {"type": "expire"}}]})
    assert (
        action_star_violations("aws:ecr/lifecyclePolicy:LifecyclePolicy", {"policy": lifecycle})
        == []
    )


def test_trust_and_inline_policies_are_read_too() -> None:
    props = {
        "assumeRolePolicy": document(allow("sts:AssumeRole")),
        "inlinePolicies": [{"name": "x", "policy": document(allow("*"))}],
    }
    (violation,) = action_star_violations("aws:iam/role:Role", props)
    assert violation.startswith("inlinePolicies[0].policy")


@pytest.mark.parametrize(
    ("action", "resource", "flagged"),
    [
        ("iam:PassRole", "*", True),
        ("IAM:passrole", ["*"], True),  # IAM action names are case-insensitive
        ("iam:Pass*", "*", True),
        ("iam:*", "*", True),
        ("iam:PassRole", ["arn:aws:iam::123456789012:role/flow-run"], False),
        ("iam:GetRole", "*", False),
    ],
)
def test_pass_role_on_star_in_any_spelling(action: str, resource: Any, flagged: bool) -> None:
    props = {"policy": document(allow(action, resource))}
    assert bool(pass_role_violations(ROLE_POLICY, props)) is flagged


@pytest.mark.parametrize(("retention", "flagged"), [(None, True), (0, True), (30, False)])
def test_log_groups_need_a_retention(retention: int | None, flagged: bool) -> None:
    props = {} if retention is None else {"retentionInDays": retention}
    assert bool(log_retention_violations("aws:cloudwatch/logGroup:LogGroup", props)) is flagged


def test_tags_are_required_only_where_the_type_takes_them() -> None:
    assert is_taggable("aws:ecs/cluster:Cluster") and not is_taggable(ROLE_POLICY)
    assert not is_taggable("pulumi-python:dynamic/prefect:Deployment")
    assert tag_violations(ROLE_POLICY, {}) == []
    full = {"project": "covid-forecast", "stack": "madrid", "city": "madrid"}
    assert tag_violations("aws:ecs/cluster:Cluster", {"tags": full}) == []
    (message,) = tag_violations("aws:ecs/cluster:Cluster", {"tags": {**full, "city": ""}})
    assert "city" in message


def test_prefect_credentials_are_found_by_name_and_by_shape() -> None:
    containers = [
        {"name": "worker", "environment": [{"name": "PREFECT_API_URL", "value": "https://x"}]},
        {"name": "sidecar", "environment": [{"name": "TOKEN", "value": "pnb_0123456789"}]},
    ]
    props = {"containerDefinitions": json.dumps(containers)}
    (violation,) = prefect_credential_violations("aws:ecs/taskDefinition:TaskDefinition", props)
    assert violation.startswith("container sidecar") and "pnb_0123456789" not in violation
    secrets = [{"name": "w", "secrets": [{"name": "PREFECT_API_KEY", "valueFrom": "arn:..."}]}]
    ok = {"containerDefinitions": json.dumps(secrets)}
    assert prefect_credential_violations("aws:ecs/taskDefinition:TaskDefinition", ok) == []


def test_a_bucket_setting_is_matched_by_dependency_or_by_name() -> None:
    flags = {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    encryption = (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    named = StackResource("aws:s3/bucket:Bucket", "urn:named", {"bucket": "forecasts"})
    other = StackResource("aws:s3/bucket:Bucket", "urn:other", {})
    resources = [
        named,
        other,
        StackResource(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "urn:block",
            {"bucket": "forecasts", **flags},
        ),
        StackResource(encryption, "urn:sse", {"bucket": "x"}, {"bucket": ["urn:named"]}),
    ]
    found = bucket_violations(resources)
    assert sorted(urn for urn, _ in found) == ["urn:other", "urn:other"]
