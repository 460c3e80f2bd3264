"""Apply or destroy a stack's Prefect objects without the Pulumi engine (the `local` platform).

The same specs as `pulumi up` (`infra.specs.local_plan`), the same providers
(`infra.prefect.*Provider`), driven the way the engine drives them: check, then create, diff +
update (or replace), delete. State (ids and outputs) is kept in a JSON file, written after every
step so an interrupted run loses nothing and the next run carries on.

    python -m infra.local apply   --stack dev [--set runId=<id>] [--state PATH]
    python -m infra.local destroy --stack dev [--state PATH]

The Prefect API is taken from PREFECT_API_URL (and PREFECT_API_KEY / PREFECT_API_AUTH_STRING).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi.dynamic import ResourceProvider

from infra.config import (
    PROJECT_DIR,
    StackConfig,
    build_stack_config,
    parse_config_value,
    resolve_local_paths,
)
from infra.prefect.block import BlockProvider
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from infra.prefect_plan import PlannedResource, planned_resources
from infra.specs import local_plan
from infra.stack_files import project_values, stack_config_values

PROVIDERS: dict[str, Callable[[], ResourceProvider]] = {
    "WorkPool": WorkPoolProvider,
    "Block": BlockProvider,
    "Deployment": DeploymentProvider,
}
Log = Callable[[str], None]


class ApplyError(RuntimeError):
    """A resource failed its provider's check (bad inputs) before any request was made."""


def load_local_config(stack: str, overrides: Mapping[str, str] | None = None) -> StackConfig:
    """A stack's config from its files plus `overrides`, as `pulumi up` would see it."""
    values = project_values(stack_config_values(stack))
    values.update(overrides or {})
    raw = {key: parse_config_value(key, value) for key, value in values.items()}
    prefect = {"apiUrl": os.environ.get("PREFECT_API_URL")}
    config = build_stack_config(stack, raw, prefect)
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


def _checked_props(provider: ResourceProvider, resource: PlannedResource) -> dict[str, Any]:
    result = provider.check({}, resource.props)
    if result.failures:
        problems = "; ".join(f"{f.property}: {f.reason}" for f in result.failures)
        raise ApplyError(f"{resource.kind} {resource.name}: {problems}")
    return dict(result.inputs)


def apply_resources(
    resources: list[PlannedResource], state_path: Path, log: Log = print
) -> dict[str, dict[str, Any]]:
    """Converge the server on `resources`; returns the state (name -> {kind, id, outs})."""
    state = _load_state(state_path)
    for resource in resources:
        provider = PROVIDERS[resource.kind]()
        props = _checked_props(provider, resource)
        old = state.get(resource.name)
        if old is None:
            created = provider.create(props)
            state[resource.name] = {"kind": resource.kind, "id": created.id, "outs": created.outs}
            log(f"  + {resource.kind} {resource.name}: created")
        else:
            diff = provider.diff(old["id"], old["outs"], props)
            if diff.replaces:
                provider.delete(old["id"], old["outs"])
                created = provider.create(props)
                state[resource.name] = {
                    "kind": resource.kind,
                    "id": created.id,
                    "outs": created.outs,
                }
                log(f"  +- {resource.kind} {resource.name}: replaced ({', '.join(diff.replaces)})")
            elif diff.changes:
                updated = provider.update(old["id"], old["outs"], props)
                state[resource.name] = {**old, "outs": updated.outs}
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
