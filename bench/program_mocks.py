"""Run the real Pulumi program under `pulumi.runtime.set_mocks` and count what it registers.

A small counterpart of the test suite's harness (bench does not import tests): the config is
`Pulumi.yaml` defaults + `Pulumi.<stack>.yaml` + overrides, as the CLI would pass it; AWS
invokes and computed attributes are answered with fixed, plausible values, enough for the
program to declare every resource.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime

from infra.config import PROJECT
from infra.stack_files import stack_config_values

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
_INVOKES: dict[str, dict[str, Any]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/bench",
        "userId": "AIDBENCH",
    },
    "aws:index/getRegion:getRegion": {"name": REGION, "region": REGION},
    "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com"},
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
        "userName": "AWS",
        "password": "ecr-token-from-mock",
        "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com",
    },
    "aws:ec2/getVpc:getVpc": {"id": "vpc-0bench", "default": True},
    "aws:ec2/getSubnets:getSubnets": {"ids": ["subnet-0bench1", "subnet-0bench2"]},
}


@dataclass(frozen=True)
class Registered:
    """One resource the program declared: type token, name, inputs."""

    type_: str
    name: str
    inputs: dict[str, Any]


@dataclass
class ProgramRun:
    """What one run of the program registered and exported."""

    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registered]:
        """Resources of one type token."""
        return [r for r in self.resources if r.type_ == type_]


def _computed(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Attributes AWS would compute that the program reads (ARNs, names, URLs, digests)."""
    given = str(inputs.get("name") or name)
    service = type_.split(":")[1].split("/")[0] if type_.count(":") >= 2 else "bench"
    state: dict[str, Any] = {"arn": f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{given}"}
    if not type_.startswith("pulumi-python:dynamic"):
        state["name"] = given
    if type_.startswith("aws:s3/bucket"):
        bucket = str(inputs.get("bucket") or f"{name}-bench")
        state.update({"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"})
    elif type_ == "aws:ecr/repository:Repository":
        state["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{given}"
        state["registryId"] = ACCOUNT_ID
    elif type_ == "aws:iam/role:Role":
        state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{given}"
    elif type_ == "aws:sqs/queue:Queue":
        state["url"] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{given}"
    elif type_ == "aws:ecs/taskDefinition:TaskDefinition":
        state.update({"family": inputs.get("family") or name, "revision": 1})
    elif type_ == "docker:index/image:Image":
        repository = str(inputs.get("imageName", name)).split(":")[0]
        state["repoDigest"] = f"{repository}@sha256:{'ab' * 32}"
    elif type_.endswith("prefect:Deployment"):
        state["url"] = f"https://app.prefect.cloud/deployments/deployment/{name}"
    return state


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self, run: ProgramRun, stack_references: dict[str, dict[str, Any]]) -> None:
        self.run = run
        self.stack_references = stack_references

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        self.run.resources.append(Registered(args.typ, args.name, dict(args.inputs)))
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {"name": args.name, "outputs": self.stack_references[args.name]}
        return f"{args.name}-id", {**args.inputs, **_computed(args.typ, args.name, args.inputs)}

    # The SDK's annotation says (dict, list); this version crashes on it and wants the dict.
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        return _INVOKES.get(args.token, {})


def _as_config(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def run_program(
    stack: str,
    overrides: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    stack_references: dict[str, dict[str, Any]] | None = None,
    run: ProgramRun | None = None,
) -> ProgramRun:
    """`infra.program.main()` for `stack` (+ `overrides` of project keys, + `ns:key` secrets).

    Exceptions the program raises propagate; pass your own `run` to see what was registered
    before one was raised.
    """
    config = stack_config_values(stack)
    config.update({f"{PROJECT}:{k}": _as_config(v) for k, v in (overrides or {}).items()})
    config.update(secrets or {})
    run = run if run is not None else ProgramRun()
    pulumi.runtime.set_mocks(_Mocks(run, stack_references or {}), project=PROJECT, stack=stack)
    pulumi.runtime.set_all_config(config, list(secrets or {}))

    from infra import program

    @pulumi.runtime.test
    def execute() -> pulumi.Output[Any]:
        return pulumi.Output.all(**program.main()).apply(run.outputs.update)

    execute()
    return run
