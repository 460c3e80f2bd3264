"""The plan document (`infra.plan_document`) as text a person reads top to bottom."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from infra.plan_document import UNKNOWN_TEXT

LEGEND = (
    "  <attr of Type name>  a value the cloud assigns when the resource is created\n"
    f"  {UNKNOWN_TEXT}  not known offline: assigned at apply, or read from the account or "
    "another stack\n"
    "  [secret]             a secure value: not read, not printed"
)


def scalar(value: Any) -> str:
    """One value on one line: strings bare, everything else as compact YAML/JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=True).strip()


def block(value: Any, indent: int) -> list[str]:
    """A nested value as indented YAML lines."""
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=True, width=100)
    return [" " * indent + line for line in text.rstrip("\n").splitlines()]


def run_time(iso: str, timezone: str) -> str:
    """`2026-12-03T06:00:00+01:00` -> `Thu 2026-12-03 06:00 CET`."""
    moment = datetime.fromisoformat(iso)
    with contextlib.suppress(ValueError, KeyError):
        moment = moment.astimezone(ZoneInfo(timezone))
    return f"{moment:%a %Y-%m-%d %H:%M %Z}"


def _rows(pairs: list[tuple[str, Any]], indent: int) -> Iterator[str]:
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        if isinstance(value, dict | list) and value and len(scalar(value)) > 80:
            yield " " * indent + f"{key}:"
            yield from block(value, indent + 2)
        else:
            yield " " * indent + f"{key.ljust(width)}  {scalar(value)}"


def _prefect_lines(entry: dict[str, Any]) -> Iterator[str]:
    kind, name = entry["kind"], entry["name"]
    if kind == "WorkPool":
        yield f"  work pool   {name} (type {entry.get('type')})"
        if entry.get("image") is not None:
            yield f"                image       {scalar(entry['image'])}"
        return
    if kind == "Block":
        yield f"  block       {name}"
        return
    if kind != "Deployment":
        yield f"  {kind.lower():<11} {name}"
        yield from block(entry.get("inputs", {}), 16)
        return
    yield f"  deployment  {name}"
    schedule = entry.get("schedule")
    pairs: list[tuple[str, Any]] = [
        ("work pool", entry.get("work_pool")),
        ("entrypoint", entry.get("entrypoint")),
    ]
    if isinstance(schedule, dict):
        timezone = schedule.get("timezone") or "UTC"
        state = "active" if schedule.get("active", True) is True else "INACTIVE: no runs"
        pairs.append(("schedule", f"{schedule.get('cron')} in {timezone} ({state})"))
        runs = schedule.get("next_runs") or []
        if runs:
            pairs.append(("next runs", ", ".join(run_time(r, timezone) for r in runs)))
    else:
        pairs.append(("schedule", schedule))
    pairs.append(("image", entry.get("image") or "none (runs in this checkout)"))
    pairs.append(("tags", entry.get("tags")))
    yield from _rows(pairs, 16)
    yield " " * 16 + "parameters:"
    yield from _rows(sorted(entry.get("parameters", {}).items()), 18)


def _resource_lines(
    resources: list[dict[str, Any]], parent: str | None, depth: int
) -> Iterator[str]:
    """Components (with what they hold) first, then the resources directly under `parent`."""
    pad = "  " * depth
    children = [r for r in resources if r["parent"] == parent]
    for entry in (r for r in children if r["component"]):
        yield f"{pad}{entry['type']} {entry['name']}"
        yield from _resource_lines(resources, entry["urn"], depth + 1)
    direct = [r for r in children if not r["component"]]
    if parent is None and direct:
        yield f"{pad}(in no component)"
        pad += "  "
    for entry in direct:
        yield f"{pad}+ {entry['type']} {entry['name']}"
        yield from block(entry["inputs"], len(pad) + 4) if entry["inputs"] else []


def render(document: dict[str, Any]) -> str:
    """The plan as text: header and legend, config, Prefect objects, resources, outputs."""
    stack = document["stack"]
    resources = document["resources"]
    custom = [r for r in resources if not r["component"]]
    components = [r for r in resources if r["component"]]
    lines = [
        f"Plan of stack {stack!r} ({document['project']}): what `pulumi up` would declare "
        "on a new stack.",
        f"Offline: Pulumi.yaml defaults + Pulumi.{stack}.yaml under Pulumi's mocks; "
        "no cloud, no credentials, no Pulumi CLI.",
        LEGEND,
        "",
        "Config",
        *_rows(list(document["config"].items()), 2),
        "",
        "Prefect",
    ]
    for entry in document["prefect"]:
        lines += list(_prefect_lines(entry))
    lines += [
        "",
        f"Resources: {len(custom)} to create, in {len(components)} components",
        *_resource_lines(resources, None, 1),
        "",
        "Outputs",
        *_rows(list(document["outputs"].items()), 2),
    ]
    if document["warnings"]:
        lines += ["", "Warnings", *(f"  {w}" for w in document["warnings"])]
    return "\n".join(lines) + "\n"
