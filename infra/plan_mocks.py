"""Run the Pulumi program in-process under `pulumi.runtime.set_mocks`, without the CLI or a cloud.

Two users: `python -m infra.plan` (what `pulumi up` would declare, offline) and the tests'
harness (`tests/pulumi_harness.py`). Both need the stack's config as the CLI would pass it
(`stack_config`) and one program run under a set of mocks (`run_under_mocks`).

The plan's own mocks (`PlanMocks` + `PlanMonitor`) run the program as a preview of a new stack:
every value the cloud would assign at apply time is either *unknown* (shown as such) or, for
string attributes of resources from Pulumi's generated SDKs (`arn`, `name`, `repoDigest`, ...),
a placeholder naming the resource, e.g. `<arn of ecs:Cluster covid-forecast-madrid>`, so that
policies and task definitions built from them stay readable. AWS lookups that need credentials
(account id, default VPC) are answered with placeholders of the same kind.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import yaml
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2

from infra.config import PROJECT, PROJECT_DIR, StackConfig, load_stack_config
from infra.stack_files import stack_config_values

# How the Pulumi runtime marks values on the wire (pulumi/runtime/rpc.py).
SPECIAL_SIG = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig
RESOURCE_SIG = rpc._special_resource_sig
UNKNOWN = rpc.UNKNOWN
# How the plan shows a secret value.
SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 - a placeholder, not a password
# What the program gets for a `secure:` value of a stack file (only the CLI can decrypt those):
# a well-formed https URL, so the keys the config checks as URLs (alertWebhookUrl) accept it.
SECURE_STAND_IN = "https://secure-value.invalid/not-decrypted"
# What `pulumi.get_organization()` returns without a Pulumi Cloud login (the DIY backends' name).
DEFAULT_ORGANIZATION = "organization"


def _as_config_string(value: Any) -> str:
    # The engine hands every config value to the program as a string; structured values as JSON.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def qualified_key(key: str) -> str:
    """`runId` -> `covid-forecast:runId`; a key with a namespace is kept."""
    return key if ":" in key else f"{PROJECT}:{key}"


def secure_keys(stack: str, project_dir: Path | None = None) -> list[str]:
    """Fully qualified keys the stack file holds as `secure:` (encrypted) values."""
    stack_file = (project_dir or PROJECT_DIR) / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        return []
    document = yaml.safe_load(stack_file.read_text()) or {}
    return sorted(
        qualified_key(key)
        for key, value in (document.get("config") or {}).items()
        if isinstance(value, dict) and "secure" in value
    )


def with_overrides(
    values: Mapping[str, str], overrides: Mapping[str, Any] | None
) -> dict[str, str]:
    """`values` (fully qualified keys) with `overrides` (`key` or `ns:key`); None removes a key."""
    result = dict(values)
    for key, value in (overrides or {}).items():
        if value is None:
            result.pop(qualified_key(key), None)
        else:
            result[qualified_key(key)] = _as_config_string(value)
    return result


def stack_config(stack: str, overrides: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The config the CLI would pass for `stack`, with `overrides` (`key` or `ns:key`).

    Secure values are not included (see `secure_keys`).
    """
    return with_overrides(stack_config_values(stack), overrides)


@dataclass(frozen=True)
class Declaration:
    """One resource the program registered, as the engine received it.

    `inputs` are in wire form: unknown values are `UNKNOWN`, secrets and resource references
    are the runtime's signature-tagged objects (see `infra.plan_document.plain`).
    """

    urn: str
    type_: str
    name: str
    parent: str  # the parent's URN; "" for a resource directly under the stack
    custom: bool  # False for a component resource
    inputs: dict[str, Any]


@dataclass
class Capture:
    """Everything one program run declared: resources, stack outputs and engine warnings."""

    declarations: list[Declaration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # The validated config the program saw (`infra.config.StackConfig`).
    config: StackConfig | None = None


def _number_to_int(value: Any) -> Any:
    # Protobuf carries every number as a double; config integers (CPU, memory) read better as int.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _number_to_int(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number_to_int(v) for v in value]
    return value


def wire_value(struct: Any) -> dict[str, Any]:
    """A protobuf Struct of properties as plain JSON values, wire markers kept."""
    result: dict[str, Any] = _number_to_int(json_format.MessageToDict(struct))
    return result


def _short_type(type_: str) -> str:
    """`aws:ecs/cluster:Cluster` -> `ecs:Cluster`; `docker:index/image:Image` -> `docker:Image`."""
    parts = type_.split(":")
    if len(parts) != 3:
        return type_
    package, module, name = parts
    if package == "pulumi-python" and module.startswith("dynamic/"):
        return f"{module.removeprefix('dynamic/')}:{name}"  # `prefect:Deployment`
    module = module.split("/")[0]
    return f"{package if module == 'index' else module}:{name}"


def placeholder(attribute: str, type_: str, name: str) -> str:
    """The stand-in for a value AWS (or another provider) assigns at apply time."""
    return f"<{attribute} of {_short_type(type_)} {name}>"


@functools.cache
def _string_outputs(type_: str) -> tuple[str, ...]:
    """Wire names of the `str` outputs of a type from a generated Pulumi SDK, by its token.

    Pulumi's generated Python SDKs follow one layout: `aws:ecs/cluster:Cluster` is
    `pulumi_aws.ecs.Cluster`, `docker:index/image:Image` is `pulumi_docker.Image`. A type found
    nowhere (dynamic resources, components) has none: its outputs stay unknown.
    """
    parts = type_.split(":")
    if len(parts) != 3:
        return ()
    package, module, name = parts
    module_path = module.split("/")[0]
    dotted = f"pulumi_{package.replace('-', '_')}"
    if module_path != "index":
        dotted += "." + module_path.replace("/", ".")
    try:
        cls = getattr(importlib.import_module(dotted), name)
    except (ImportError, AttributeError):
        return ()
    names = []
    for member in vars_of_mro(cls):
        wire = getattr(member.fget, "_pulumi_name", None)
        if wire is None:
            continue
        try:
            returns = typing.get_type_hints(member.fget).get("return")
        except (NameError, TypeError):
            continue
        (inner,) = typing.get_args(returns) or (None,)
        if inner is str or inner == str | None:
            names.append(str(wire))
    return tuple(sorted(set(names)))


def vars_of_mro(cls: type) -> list[property]:
    """Every property defined on `cls` or its bases."""
    return [v for base in cls.__mro__ for v in vars(base).values() if isinstance(v, property)]


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class PlanMocks(pulumi.runtime.Mocks):
    """A new stack's preview: inputs echoed, computed strings as placeholders, lookups answered.

    `region` is the stack's `aws:region` (what `aws.get_region()` would return).
    """

    def __init__(self, region: str | None) -> None:
        self.region = region or "<region>"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        if args.typ == "pulumi:pulumi:StackReference":
            # Another stack's outputs are read at preview time with a login: unknown here.
            return args.name, {"name": args.name}
        state = dict(args.inputs)
        if args.custom:
            for attribute in _string_outputs(args.typ):
                state.setdefault(attribute, placeholder(attribute, args.typ, args.name))
        return placeholder("id", args.typ, args.name), state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        account = "<account-id>"
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": account,
                "arn": f"arn:{_partition(self.region)}:iam::{account}:user/<caller>",
                "userId": "<caller>",
                "id": account,
            },
            "aws:index/getRegion:getRegion": {"name": self.region, "region": self.region},
            "aws:index/getPartition:getPartition": {
                "partition": _partition(self.region),
                "dnsSuffix": "amazonaws.com",
            },
            "aws:ecr/getAuthorizationToken:getAuthorizationToken": {
                "userName": "AWS",
                "password": "<ecr-token>",
                "authorizationToken": "<ecr-token>",
                "proxyEndpoint": f"https://{account}.dkr.ecr.{self.region}.amazonaws.com",
            },
            "aws:ec2/getVpc:getVpc": {"id": "<default-vpc>", "default": True},
            "aws:ec2/getSubnets:getSubnets": {"ids": ["<subnets of the VPC>"]},
            "aws:ec2/getSubnet:getSubnet": {
                "id": args.args.get("id"),
                "vpcId": f"<vpc of {args.args.get('id')}>",
            },
        }
        if args.token not in answers:
            raise UnknownLookupError(args.token)
        return answers[args.token], []  # no check failures


class UnknownLookupError(LookupError):
    """An invoke the plan has no placeholder for; `PlanMonitor` answers it as unknown."""


def engine_urn(urn: str) -> str:
    """A mock URN as the engine writes it: the root stack's type is not part of its children's."""
    return urn.replace("::pulumi:pulumi:Stack$", "::")


class PlanMonitor(MockMonitor):
    """The runtime's mock monitor, recording each registration with its parent and outputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks, capture: Capture) -> None:
        super().__init__(mocks)
        self.capture = capture

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            stack_parent = request.parent.split("::")[2] == "pulumi:pulumi:Stack"
            self.capture.declarations.append(
                Declaration(
                    urn=engine_urn(response.urn),
                    type_=request.type,
                    name=request.name,
                    parent="" if not request.parent or stack_parent else engine_urn(request.parent),
                    custom=bool(request.custom),
                    inputs=wire_value(request.object),
                )
            )
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self.capture.declarations.append(
            Declaration(
                engine_urn(response.urn), request.type, request.name, "", True, {"id": request.id}
            )
        )
        return response

    def Invoke(self, request: Any) -> Any:
        try:
            return super().Invoke(request)
        except UnknownLookupError:
            # Like the engine skipping a read whose inputs are not known yet.
            return resource_pb2.ResourceInvokeResponse(unknown=True)


class _WarningLog(logging.Handler):
    def __init__(self, capture: Capture) -> None:
        super().__init__(logging.WARNING)
        self.capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        self.capture.warnings.append(record.getMessage())


def run_under_mocks(
    program: Callable[[], Any],
    mocks: pulumi.runtime.Mocks,
    *,
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str],
    preview: bool,
    monitor: MockMonitor | None = None,
    logger: logging.Logger | None = None,
    organization: str | None = None,
) -> None:
    """Configure the runtime with `mocks` and `config` and run `program` to completion.

    `program` declares the resources and returns what must resolve before the run ends (an
    `Output` or an awaitable). Exceptions it raises (e.g. `ConfigError`) propagate.
    """
    options: dict[str, Any] = {"project": PROJECT, "stack": stack, "preview": preview}
    # Passed only when set: tests wrap `set_mocks` to supply their own monitor.
    if monitor is not None:
        options["monitor"] = monitor
    if logger is not None:
        options["logger"] = logger
    if organization is not None:
        options["organization"] = organization
    pulumi.runtime.set_mocks(mocks, **options)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    pulumi.runtime.test(program)()


def capture_program(stack: str, config: Mapping[str, str], secret_keys: list[str]) -> Capture:
    """Run `infra.program.main()` for `stack` as a preview of a new stack; see the module doc."""
    from infra import program

    capture = Capture()
    logger = logging.getLogger(f"infra.plan.engine.{stack}")
    logger.propagate = False
    handler = _WarningLog(capture)
    logger.addHandler(handler)
    mocks = PlanMocks(config.get("aws:region"))

    async def serialize(outputs: Mapping[str, Any]) -> None:
        # The engine's view of the outputs: unknowns and secrets stay marked.
        capture.outputs = wire_value(await rpc.serialize_properties(dict(outputs), {}))

    def declare() -> Any:
        capture.config = load_stack_config()  # a ConfigError stops here, as in `pulumi preview`
        return serialize(program.main())

    try:
        run_under_mocks(
            declare,
            mocks,
            stack=stack,
            config=config,
            secret_keys=secret_keys,
            preview=True,
            monitor=PlanMonitor(mocks, capture),
            logger=logger,
            organization=DEFAULT_ORGANIZATION,
        )
    finally:
        logger.removeHandler(handler)
    return capture
