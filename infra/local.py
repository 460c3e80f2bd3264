"""Apply or destroy a stack's Prefect objects without the Pulumi engine (the `local` platform).

The same specs as `pulumi up` (`infra.specs.local_plan`), the same providers
(`infra.prefect.*Provider`), driven the way the engine drives them: check, then create, diff +
update (or replace), delete. State (ids and outputs) is kept in a JSON file, written after every
step so an interrupted run loses nothing and the next run carries on.

    python -m infra.local apply   --stack dev [--set runId=<id>] [--state PATH]
    python -m infra.local destroy --stack dev [--state PATH]

The Prefect API is taken from PREFECT_API_URL (and PREFECT_API_KEY / PREFECT_API_AUTH_STRING).
Secret keys (`alertWebhookUrl`) come from `--set` or the environment
(COVID_FORECAST_ALERT_WEBHOOK_URL), never from the stack file; the state file keeps only a
digest of them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi.dynamic import ResourceProvider

from infra.config import (
    PROJECT_DIR,
    SECRET_KEYS,
    StackConfig,
    build_stack_config,
    parse_config_value,
    resolve_local_paths,
)
from infra.prefect.automation import AutomationProvider
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from infra.prefect_plan import PlannedResource, planned_resources, resolve_props
from infra.specs import Ref, Secret, local_plan
from infra.stack_files import project_values, stack_config_values

PROVIDERS: dict[str, Callable[[], ResourceProvider]] = {
    "WorkPool": WorkPoolProvider,
    "Block": BlockProvider,
    "Deployment": DeploymentProvider,
    "Automation": AutomationProvider,
}
Log = Callable[[str], None]
# Secret config keys may come from these environment variables (not from the stack file).
SECRET_ENV = {"alertWebhookUrl": "COVID_FORECAST_ALERT_WEBHOOK_URL"}


class ApplyError(RuntimeError):
    """A resource failed its provider's check (bad inputs) before any request was made."""


def load_local_config(stack: str, overrides: Mapping[str, str] | None = None) -> StackConfig:
    """A stack's config from its files plus `overrides`, as `pulumi up` would see it."""
    values = project_values(stack_config_values(stack))
    # Secrets given outside the stack file count as secret, as `--secret` values would.
    secret_keys = set()
    for key, variable in SECRET_ENV.items():
        if os.environ.get(variable):
            values[key] = os.environ[variable]
            secret_keys.add(key)
    secret_keys |= SECRET_KEYS & set(overrides or {})
    values.update(overrides or {})
    raw = {key: parse_config_value(key, value) for key, value in values.items()}
    prefect = {"apiUrl": os.environ.get("PREFECT_API_URL")}
    config = build_stack_config(stack, raw, prefect, secret_keys)
    if config.platform != "local":
        raise SystemExit(f"stack {stack!r} is platform {config.platform!r}: use `pulumi up` for it")
    return resolve_local_paths(config)


def default_state_path(stack: str) -> Path:
    """Where the runner keeps a stack's state unless told otherwise."""
    return PROJECT_DIR / ".demo" / f"state-{stack}.json"


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    return json.loads(path.read_text()) if path.exists() else {}


def _save_state(path: Path, state: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # Insertion order is creation order: destroy walks it backwards (dependents first).
    tmp.write_text(json.dumps(state, indent=2, default=str))
    tmp.replace(path)  # atomic: a crash never leaves half a state file


def digest(secret: str) -> str:
    """What the state file keeps instead of a secret: enough to see that it changed."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def redact(value: Any, secrets: Mapping[str, str]) -> Any:
    """`value` with every secret (a key of `secrets`) replaced by its digest."""
    if isinstance(value, str):
        for secret, hidden in secrets.items():
            value = value.replace(secret, hidden)
        return value
    if isinstance(value, Mapping):
        return {key: redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item, secrets) for item in value]
    return value


def _resolved(
    resource: PlannedResource, state: Mapping[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The resource's props with `Ref`s read from the state and `Secret`s in plaintext, and
    the secrets found (value -> digest)."""
    secrets: dict[str, str] = {}

    def ref(reference: Ref) -> str:
        if reference.resource not in state:
            raise ApplyError(
                f"{resource.kind} {resource.name}: needs {reference.resource}, which is not applied"
            )
        return reference.prefix + str(state[reference.resource]["id"])

    def secret(value: Secret) -> str:
        secrets[value.value] = digest(value.value)
        return value.value

    return resolve_props(resource.props, ref, secret), secrets


def _checked_props(
    provider: ResourceProvider, resource: PlannedResource, props: dict[str, Any]
) -> dict[str, Any]:
    result = provider.check({}, props)
    if result.failures:
        problems = "; ".join(f"{f.property}: {f.reason}" for f in result.failures)
        raise ApplyError(f"{resource.kind} {resource.name}: {problems}")
    return dict(result.inputs)


def apply_resources(
    resources: list[PlannedResource], state_path: Path, log: Log = print
) -> dict[str, dict[str, Any]]:
    """Converge the server on `resources`; returns the state (name -> {kind, id, outs}).

    Secrets in the props reach the provider in plaintext; the state keeps their digests, and
    diffs compare digests, so an unchanged secret is no change.
    """
    state = _load_state(state_path)
    for resource in resources:
        provider = PROVIDERS[resource.kind]()
        plain, secrets = _resolved(resource, state)
        props = _checked_props(provider, resource, plain)
        old = state.get(resource.name)
        if old is None:
            created = provider.create(props)
            state[resource.name] = {
                "kind": resource.kind,
                "id": created.id,
                "outs": redact(created.outs, secrets),
            }
            log(f"  + {resource.kind} {resource.name}: created")
        else:
            diff = provider.diff(old["id"], old["outs"], redact(props, secrets))
            if diff.replaces:
                provider.delete(old["id"], old["outs"])
                created = provider.create(props)
                state[resource.name] = {
                    "kind": resource.kind,
                    "id": created.id,
                    "outs": redact(created.outs, secrets),
                }
                log(f"  +- {resource.kind} {resource.name}: replaced ({', '.join(diff.replaces)})")
            elif diff.changes:
                updated = provider.update(old["id"], old["outs"], props)
                state[resource.name] = {**old, "outs": redact(updated.outs, secrets)}
                log(f"  ~ {resource.kind} {resource.name}: updated")
            else:
                log(f"  = {resource.kind} {resource.name}: unchanged")
        _save_state(state_path, state)
    wanted = {r.name for r in resources}
    for name in [n for n in reversed(list(state)) if n not in wanted]:
        _delete(name, state, state_path, log)
    return state


def _delete(name: str, state: dict[str, dict[str, Any]], state_path: Path, log: Log) -> None:
    entry = state[name]
    PROVIDERS[entry["kind"]]().delete(entry["id"], entry["outs"])
    del state[name]
    _save_state(state_path, state)
    log(f"  - {entry['kind']} {name}: deleted")


def destroy_resources(state_path: Path, log: Log = print) -> None:
    """Delete everything in the state, dependents first."""
    state = _load_state(state_path)
    for name in reversed(list(state)):
        _delete(name, state, state_path, log)


def apply_stack(
    stack: str,
    overrides: Mapping[str, str] | None = None,
    state_path: Path | None = None,
    log: Log = print,
) -> dict[str, dict[str, Any]]:
    """Apply a local stack's Prefect objects (same plan as the Pulumi program)."""
    config = load_local_config(stack, overrides)
    return apply_resources(
        planned_resources(config, local_plan(config)), state_path or default_state_path(stack), log
    )


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set expects key=value, got {pair!r}")
        overrides[key] = value
    return overrides


def main(argv: list[str] | None = None) -> int:
    """Command line: apply or destroy a local stack."""
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    parser.add_argument("action", choices=["apply", "destroy"])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--state", type=Path, default=None)
    args = parser.parse_args(argv)
    state_path = args.state or default_state_path(args.stack)
    if args.action == "apply":
        apply_stack(args.stack, _parse_sets(args.set), state_path)
    else:
        destroy_resources(state_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
