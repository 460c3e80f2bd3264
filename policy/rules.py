"""The rules of the covid-forecast policy pack, as plain functions of a resource's properties.

Each rule takes what the Pulumi engine hands a policy pack (a type token and the resource's
input properties, engine names: `assumeRolePolicy`, `retentionInDays`, ...) and returns one
message per violation. `__main__.py` wraps them as `pulumi_policy` policies; the tests run them
through `pulumi_policy`'s analyzer against the real program under mocks.

The pack imports nothing from `infra/`: it checks the program, it does not share its code.
It runs in the program's virtualenv (`PulumiPolicy.yaml`), so taggability is read from the
same `pulumi_aws` SDK classes the program declares resources with.
"""

from __future__ import annotations

import collections.abc
import fnmatch
import inspect
import json
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

POLICY_PACK = "covid-forecast"
# Every taggable AWS resource says whose it is (infra/tags.py sets these).
REQUIRED_TAGS: tuple[str, ...] = ("project", "stack", "city")
# Prefect credentials: set as ECS `secrets` (valueFrom an SSM parameter), never as plain values.
PREFECT_CREDENTIAL_ENV = frozenset({"PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"})
# Prefect Cloud API keys start with these (user and service-account keys).
PREFECT_KEY_PREFIXES = ("pnu_", "pnb_")
# Properties that hold IAM policy documents (identity and resource policies).
POLICY_PROPERTIES = ("policy", "assumeRolePolicy")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
PREFECT_JOB_VARIABLES = {
    "pulumi-python:dynamic/prefect:WorkPool": "job_variable_defaults",
    "pulumi-python:dynamic/prefect:Deployment": "job_variables",
}

Props = Mapping[str, Any]
# A resource rule: (type token, input properties) -> one message per violation.
ResourceRule = Callable[[str, Props], list[str]]


# --- IAM ----------------------------------------------------------------------------------


def _document(value: Any) -> Mapping[str, Any] | None:
    """An IAM policy document from a property value (JSON text or an object), else None."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, Mapping) and "Statement" in value:
        return value
    return None


def policy_documents(props: Props) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(property, document) for every IAM policy document among the resource's inputs."""
    for name in POLICY_PROPERTIES:
        document = _document(props.get(name))
        if document is not None:
            yield name, document
    for index, inline in enumerate(props.get("inlinePolicies") or []):
        document = _document(inline.get("policy") if isinstance(inline, Mapping) else None)
        if document is not None:
            yield f"inlinePolicies[{index}].policy", document


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str | Mapping) else list(value)


def allow_statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The document's Allow statements."""
    return [s for s in _as_list(document.get("Statement")) if s.get("Effect") == "Allow"]


def _label(statement: Mapping[str, Any], index: int) -> str:
    return f"statement {statement.get('Sid') or index}"


def action_star_violations(type_: str, props: Props) -> list[str]:
    """Allow statements granting every action (`Action: "*"`)."""
    return [
        f"{where} {_label(statement, i)} allows Action '*': name the actions it needs"
        for where, document in policy_documents(props)
        for i, statement in enumerate(allow_statements(document))
        if "*" in _as_list(statement.get("Action"))
    ]


def _grants(action_patterns: Sequence[str], action: str) -> bool:
    # IAM action names are case-insensitive; `iam:*` and `iam:Pass*` grant PassRole too.
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in action_patterns)


def pass_role_violations(type_: str, props: Props) -> list[str]:
    """Allow statements letting a principal pass any role (`iam:PassRole` on `*`)."""
    return [
        f"{where} {_label(statement, i)} allows iam:PassRole on Resource '*': "
        "list the roles it may pass"
        for where, document in policy_documents(props)
        for i, statement in enumerate(allow_statements(document))
        if _grants([str(a) for a in _as_list(statement.get("Action"))], "iam:PassRole")
        and "*" in _as_list(statement.get("Resource"))
    ]


# --- logs and tags -----------------------------------------------------------------------


def log_retention_violations(type_: str, props: Props) -> list[str]:
    """Log groups that keep their logs forever (no retention, or 0 = never expire)."""
    if type_ != LOG_GROUP:
        return []
    retention = props.get("retentionInDays")
    if not retention:
        return ["log group has no retention (retentionInDays): its logs would be kept forever"]
    return []


def aws_resource_class(type_: str) -> type | None:
    """The `pulumi_aws` class of an AWS type token, from the SDK's resource module registry."""
    import pulumi_aws  # noqa: F401  (importing registers the package's resource modules)
    from pulumi.runtime.rpc import get_resource_module

    package, module_name, _ = type_.split(":")
    module: Any = get_resource_module(package, module_name, "")
    if module is None:
        return None
    class_name = module.mod_info["classes"].get(type_)
    if class_name is None:
        return None
    python_module = __import__(module.mod_info["fqn"], fromlist=[class_name])
    found: type = getattr(python_module, class_name)
    return found


def is_taggable(type_: str) -> bool:
    """True for AWS resource types whose inputs include a string map `tags`."""
    if not type_.startswith("aws:"):
        return False
    resource_class = aws_resource_class(type_)
    init = getattr(resource_class, "_internal_init", None)
    if init is None:
        return False
    parameter = inspect.signature(init).parameters.get("tags")
    return parameter is not None and any(
        typing.get_origin(option) is collections.abc.Mapping
        for option in typing.get_args(parameter.annotation)
    )


def tag_violations(type_: str, props: Props) -> list[str]:
    """Taggable AWS resources without a non-empty `project`, `stack` and `city` tag."""
    if not is_taggable(type_):
        return []
    tags = props.get("tags") or {}
    missing = [key for key in REQUIRED_TAGS if not tags.get(key)]
    if missing:
        return [
            f"missing tag(s) {', '.join(missing)}: every taggable resource carries "
            f"{', '.join(REQUIRED_TAGS)}"
        ]
    return []


# --- Prefect credentials -------------------------------------------------------------------


def _credential_problem(name: str, value: Any) -> str | None:
    if name in PREFECT_CREDENTIAL_ENV:
        return f"{name} is set in plain environment"
    if isinstance(value, str) and value.startswith(PREFECT_KEY_PREFIXES):
        return f"{name} holds what looks like a Prefect API key"
    return None


def prefect_credential_violations(type_: str, props: Props) -> list[str]:
    """Task definitions (and the job variables flow-run task definitions are made from) that
    carry a Prefect credential in `environment` instead of ECS `secrets`."""
    found: list[str] = []
    if type_ == TASK_DEFINITION:
        containers = json.loads(props.get("containerDefinitions") or "[]")
        for container in containers:
            for variable in container.get("environment") or []:
                problem = _credential_problem(str(variable.get("name")), variable.get("value"))
                if problem:
                    found.append(f"container {container.get('name')}: {problem}")
    elif type_ in PREFECT_JOB_VARIABLES:
        variables = props.get(PREFECT_JOB_VARIABLES[type_]) or {}
        for name, value in (variables.get("env") or {}).items():
            problem = _credential_problem(str(name), value)
            if problem:
                found.append(f"{PREFECT_JOB_VARIABLES[type_]}.env: {problem}")
    return [
        f"{message}: hand it over as an ECS secret from SSM (valueFrom), never in environment"
        for message in found
    ]


# --- S3 (needs the whole stack: settings are separate resources) -------------------------


@dataclass(frozen=True)
class StackResource:
    """A resource as a stack policy sees it: type, URN, inputs, and which resources each
    input was computed from (property dependencies)."""

    type_: str
    urn: str
    props: Props
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _settings_of(
    bucket: StackResource, resources: Sequence[StackResource], types: Sequence[str]
) -> list[StackResource]:
    """Resources of `types` whose `bucket` input is this bucket (by dependency or by name)."""
    name = bucket.props.get("bucket")
    return [
        r
        for r in resources
        if r.type_ in types
        and (
            bucket.urn in r.property_dependencies.get("bucket", ())
            or (name is not None and r.props.get("bucket") == name)
        )
    ]


def bucket_violations(resources: Sequence[StackResource]) -> list[tuple[str, str]]:
    """(bucket URN, message) for buckets without a full public access block or encryption."""
    found = []
    for bucket in (r for r in resources if r.type_ in BUCKETS):
        blocks = _settings_of(bucket, resources, (PUBLIC_ACCESS_BLOCK,))
        if not any(all(b.props.get(flag) is True for flag in PUBLIC_ACCESS_FLAGS) for b in blocks):
            found.append(
                (
                    bucket.urn,
                    "bucket has no BucketPublicAccessBlock with all of "
                    f"{', '.join(PUBLIC_ACCESS_FLAGS)} true",
                )
            )
        encrypted = bucket.props.get("serverSideEncryptionConfiguration") or _settings_of(
            bucket, resources, BUCKET_ENCRYPTION
        )
        if not encrypted:
            found.append(
                (bucket.urn, "bucket has no server-side encryption configuration (SSE-S3 or KMS)")
            )
    return found


# Resource rules by policy name, with the description the engine shows.
RESOURCE_RULES: dict[str, tuple[str, ResourceRule]] = {
    "no-action-star": (
        "IAM policies never allow Action '*'",
        action_star_violations,
    ),
    "no-pass-role-on-star": (
        "iam:PassRole is granted on named roles, never on Resource '*'",
        pass_role_violations,
    ),
    "log-groups-have-retention": (
        "CloudWatch log groups expire their logs",
        log_retention_violations,
    ),
    "taggable-resources-carry-project-stack-city": (
        "Every taggable AWS resource carries the project, stack and city tags",
        tag_violations,
    ),
    "no-prefect-credential-in-environment": (
        "No task definition or flow-run job variable carries a Prefect credential in environment",
        prefect_credential_violations,
    ),
}
STACK_RULES = {
    "s3-buckets-private-and-encrypted": (
        "S3 buckets block all public access and encrypt objects at rest",
        bucket_violations,
    ),
}
