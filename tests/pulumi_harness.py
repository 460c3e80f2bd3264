"""Run the real Pulumi program under `pulumi.runtime.set_mocks` with a named stack's config.

The config is what the CLI would hand the program: `Pulumi.yaml` defaults merged with
`Pulumi.<stack>.yaml`, plus overrides and secrets a test adds. Every registered resource (type,
name, inputs) and every stack output is recorded; the AWS invokes the program makes are answered
with fixed, realistic values.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime

from infra import plan_mocks
from infra.config import PROJECT
from infra.stack_files import stack_config_values

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
DEFAULT_VPC = "vpc-0default0000000001"
DEFAULT_SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
# How the Pulumi runtime marks a secret value on the wire.
SECRET_SIG = "4dabf18193072939515e22adb298388d"


@dataclass(frozen=True)
class RegisteredResource:
    """One resource the program declared, as the engine saw it."""

    type_: str
    name: str
    inputs: dict[str, Any]


@dataclass
class ProgramRun:
    """What one run of the program registered and exported."""

    stack: str
    resources: list[RegisteredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[RegisteredResource]:
        """All resources of one type token (e.g. `aws:ecs/cluster:Cluster`)."""
        return [r for r in self.resources if r.type_ == type_]

    def one(self, type_: str, name: str | None = None) -> RegisteredResource:
        """The single resource of a type (and name), failing loudly otherwise."""
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def types(self) -> set[str]:
        """The distinct type tokens registered."""
        return {r.type_ for r in self.resources}

    def dynamic(self, kind: str) -> list[dict[str, Any]]:
        """Inputs of the `infra.prefect` resources of a kind (`WorkPool`, `Block`, `Deployment`)."""
        return [
            {k: v for k, v in r.inputs.items() if k != "__provider"}
            for r in self.of_type(f"pulumi-python:dynamic/prefect:{kind}")
        ]


def is_secret_wrapped(value: Any) -> bool:
    """True for a value the runtime carries as a secret (encrypted in state)."""
    return isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270"


def plaintext_strings(value: Any) -> Iterator[str]:
    """Every string reachable in `value` that is NOT inside a secret wrapper."""
    if is_secret_wrapped(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from plaintext_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from plaintext_strings(item)


def serialized_provider_state(resource: RegisteredResource) -> bytes:
    """The decoded dill bytes of a dynamic resource's `__provider` input."""
    wrapped = resource.inputs["__provider"]
    encoded = wrapped["value"] if is_secret_wrapped(wrapped) else wrapped
    return base64.b64decode(encoded)


def leaks(run: ProgramRun, needle: str) -> list[str]:
    """Where `needle` appears in plaintext: resource inputs, stack outputs, provider state."""
    places = []
    for res in run.resources:
        inputs = {k: v for k, v in res.inputs.items() if k != "__provider"}
        if any(needle in s for s in plaintext_strings(inputs)):
            places.append(f"inputs of {res.type_} {res.name}")
        if "__provider" in res.inputs and needle.encode() in serialized_provider_state(res):
            places.append(f"serialized provider of {res.name}")
    # The API key has no business in any stack output, secret or not.
    places += [f"stack output {k}" for k, v in run.outputs.items() if needle in json.dumps(v)]
    return places


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


# Computed attributes AWS would return for the resources the program declares, by type token.
def _computed_state(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    family = type_.split(":")[1].split("/")[0] if ":" in type_ else ""
    state: dict[str, Any] = {"arn": _arn(family, f"{name}")}
    if type_ == "aws:ecr/repository:Repository":
        state["arn"] = _arn("ecr", f"repository/{inputs.get('name') or name}")
        state["repository_url"] = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{name}"
        state["repositoryUrl"] = state["repository_url"]
    elif type_ == "aws:s3/bucketV2:BucketV2" or type_ == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{name}-0123abcd"
        state.update({"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"})
    elif type_ == "aws:iam/role:Role":
        state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
        state["name"] = inputs.get("name") or name
    elif type_ == "aws:ssm/parameter:Parameter":
        state["arn"] = _arn("ssm", f"parameter{inputs.get('name', '/' + name)}")
    elif type_ == "aws:ecs/cluster:Cluster":
        state["arn"] = _arn("ecs", f"cluster/{inputs.get('name') or name}")
        state["name"] = inputs.get("name") or name
    elif type_ == "aws:cloudwatch/logGroup:LogGroup":
        state["name"] = inputs.get("name") or name
        state["arn"] = _arn("logs", f"log-group:{state['name']}")
    elif type_ == "aws:ecs/taskDefinition:TaskDefinition":
        family = inputs.get("family") or name
        state.update({"arn": _arn("ecs", f"task-definition/{family}:1"), "revision": 1})
    elif type_ == "aws:ecs/service:Service":
        state["name"] = inputs.get("name") or name
        state["arn"] = _arn("ecs", f"service/{state['name']}")
    elif type_ == "aws:sqs/queue:Queue":
        queue = inputs.get("name") or name
        state.update(
            {
                "name": queue,
                "arn": _arn("sqs", queue),
                "url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{queue}",
            }
        )
    elif type_ == "aws:cloudwatch/eventRule:EventRule":
        state["name"] = inputs.get("name") or name
        state["arn"] = _arn("events", f"rule/{state['name']}")
    elif type_ == "aws:ec2/securityGroup:SecurityGroup":
        state["arn"] = _arn("ec2", f"security-group/sg-{name}")
    elif type_ == "docker:index/image:Image":
        # Each pushed image (repository:tag) gets its own digest, as a registry would.
        image_name = str(inputs.get("imageName", name))
        digest = hashlib.sha256(image_name.encode()).hexdigest()
        state["repoDigest"] = f"{image_name.split(':')[0]}@sha256:{digest}"
        state["repo_digest"] = state["repoDigest"]
    elif type_.startswith("pulumi-python:dynamic"):
        state = {}
        if type_.endswith(":Deployment"):
            state = {"url": f"https://app.prefect.cloud/deployments/deployment/{name}-uuid"}
    return state


class RecordingMocks(pulumi.runtime.Mocks):
    """Records registrations; answers resources and AWS invokes with realistic values.

    `stack_references` maps a fully qualified stack name to the outputs a `StackReference` to
    it reads.
    """

    def __init__(
        self, run: ProgramRun, stack_references: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self.run = run
        self.stack_references = stack_references or {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        self.run.resources.append(RegisteredResource(args.typ, args.name, dict(args.inputs)))
        if args.typ == "pulumi:pulumi:StackReference":
            if args.name not in self.stack_references:
                raise KeyError(f"no outputs given for a StackReference to {args.name!r}")
            state = {"name": args.name, "outputs": self.stack_references[args.name]}
            return args.name, state
        state = {**args.inputs, **_computed_state(args.typ, args.name, args.inputs)}
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.run.invokes.append(args.token)
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci",
                "userId": "AIDEXAMPLE",
            },
            "aws:index/getRegion:getRegion": {"name": REGION, "region": REGION},
            "aws:index/getPartition:getPartition": {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
            },
            "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
                "userName": "AWS",
                "password": "ecr-token-from-mock",
                "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com",
                "authorizationToken": "QVdTOmVjci10b2tlbg==",
            },
            "aws:ec2/getVpc:getVpc": {"id": DEFAULT_VPC, "default": True},
            "aws:ec2/getSubnets:getSubnets": {"ids": DEFAULT_SUBNETS},
            "aws:ec2/getSubnet:getSubnet": {
                "id": args.args.get("id"),
                "vpcId": "vpc-0subnetowner000001",
            },
        }
        return answers.get(args.token, {})


def stack_config(stack: str, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """The config the CLI would pass for `stack`, with `overrides` (`key` or `ns:key`)."""
    return plan_mocks.with_overrides(stack_config_values(stack), overrides)


def run_program(
    stack: str = "madrid",
    overrides: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    preview: bool = False,
    stack_references: dict[str, dict[str, Any]] | None = None,
    run: ProgramRun | None = None,
) -> ProgramRun:
    """Run `infra.program.main()` for `stack` under mocks and return what it registered.

    `secrets` are `ns:key` -> value, passed as secret config the way `--secret` would.
    `stack_references`: fully qualified stack name -> the outputs a `StackReference` reads.
    Exceptions raised by the program (e.g. `ConfigError`) propagate; pass your own `run` to
    see what was registered before one was raised.
    """
    run = run if run is not None else ProgramRun(stack=stack)
    config = stack_config(stack, overrides)
    config.update(secrets or {})
    recorded = run

    from infra import program

    def execute() -> pulumi.Output[Any]:
        return pulumi.Output.all(**program.main()).apply(recorded.outputs.update)

    plan_mocks.run_under_mocks(
        execute,
        RecordingMocks(run, stack_references),
        stack=stack,
        config=config,
        secret_keys=list((secrets or {}).keys()),
        preview=preview,
    )
    return run


def load_config(
    stack: str, overrides: dict[str, Any] | None = None, secrets: dict[str, str] | None = None
) -> Any:
    """`infra.config.load_stack_config()` as the program sees it under the engine, for `stack`.

    `secrets` are passed as secret config; `overrides` as plain config (a `prefect:apiKey` there
    is a plaintext secret, which the config must refuse).
    """
    from infra.config import load_stack_config

    config = stack_config(stack, overrides)
    config.update(secrets or {})
    pulumi.runtime.set_mocks(RecordingMocks(ProgramRun(stack)), project=PROJECT, stack=stack)
    pulumi.runtime.set_all_config(config, list((secrets or {}).keys()))
    return load_stack_config()
