"""The plan as a document: what one program run under the plan's mocks declared, made readable.

Pure functions from a `Capture` (and the validated config) to a JSON-ready dict with a stable
order, so two plans can be compared (`infra.plan_diff`) and printed (`infra.plan_text`):

    {"format", "project", "stack", "config", "prefect", "resources", "outputs", "warnings"}

Values the runtime marks on the wire become plain text: a secret is `[secret]` (its value is
never copied), an unknown value is `(known after apply)`. Paths inside this checkout are
written relative to it (`.`), so plans of two checkouts compare equal. Inputs holding a JSON
document (IAM policies, container definitions) are shown decoded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError
from pydantic import SecretBytes, SecretStr

from infra.config import PROJECT, PROJECT_DIR, StackConfig
from infra.plan_mocks import (
    RESOURCE_SIG,
    SECRET_PLACEHOLDER,
    SECRET_SIG,
    SPECIAL_SIG,
    UNKNOWN,
    Capture,
    Declaration,
)

FORMAT = "covid-forecast-plan/1"
UNKNOWN_TEXT = "(known after apply)"
PREFECT_TYPE_PREFIX = "pulumi-python:dynamic/prefect:"
# How many upcoming runs of each schedule the plan lists.
NEXT_RUNS = 3


def _relative(text: str, root: str) -> str:
    # `/abs/checkout/Dockerfile` -> `./Dockerfile`; the checkout itself -> `.`.
    return re.sub(re.escape(root) + r"(?![\w.-])", ".", text)


def plain(value: Any, root: str = str(PROJECT_DIR)) -> Any:
    """A wire value as plain JSON: secrets hidden, unknowns named, checkout paths relative."""
    if isinstance(value, dict):
        signature = value.get(SPECIAL_SIG)
        if signature == SECRET_SIG:
            return SECRET_PLACEHOLDER
        if signature == RESOURCE_SIG:
            return f"<resource {str(value.get('urn', '')).split('::')[-1]}>"
        if signature is not None:  # an asset or archive: its path or URI says what it is
            return {k: plain(v, root) for k, v in value.items() if k != SPECIAL_SIG}
        return {str(k): plain(v, root) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [plain(item, root) for item in value]
    if isinstance(value, str):
        if value == UNKNOWN:
            return UNKNOWN_TEXT
        decoded = _decoded(value, root)
        return _relative(decoded, root) if isinstance(decoded, str) else decoded
    return value


def _decoded(text: str, root: str) -> Any:
    # Keep the string unless it is a JSON object or array.
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        return text
    return plain(document, root)


def _relative_everywhere(value: Any, root: str) -> Any:
    if isinstance(value, str):
        return _relative(value, root)
    if isinstance(value, dict):
        return {k: _relative_everywhere(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative_everywhere(v, root) for v in value]
    return value


def plain_inputs(declaration: Declaration, root: str = str(PROJECT_DIR)) -> dict[str, Any]:
    """A declaration's inputs without the dynamic provider's serialized code."""
    inputs = {k: v for k, v in declaration.inputs.items() if k != "__provider"}
    result: dict[str, Any] = plain(inputs, root)
    return result


def config_section(
    config: StackConfig, values: Mapping[str, str], secret_keys: list[str], root: str
) -> dict[str, Any]:
    """The validated project config (every key, defaults applied) and the other namespaces."""
    section: dict[str, Any] = {}
    for name, field in StackConfig.model_fields.items():
        if field.alias is not None:
            value = getattr(config, name)
            secret = (
                isinstance(value, SecretStr | SecretBytes)
                or f"{PROJECT}:{field.alias}" in secret_keys
            )
            section[f"{PROJECT}:{field.alias}"] = SECRET_PLACEHOLDER if secret and value else value
    for key, value in values.items():
        if not key.startswith(f"{PROJECT}:"):
            section[key] = SECRET_PLACEHOLDER if key in secret_keys else value
    normalised = json.loads(json.dumps(section, default=list))  # tuples -> lists
    result: dict[str, Any] = _relative_everywhere(normalised, root)
    return dict(sorted(result.items()))


def next_runs(cron: str, timezone: str, now: datetime, count: int = NEXT_RUNS) -> list[str]:
    """The next `count` run times of a cron schedule after `now`, ISO 8601 in its timezone.

    Prefect evaluates cron schedules with `cronsim` in the schedule's timezone, as here.
    """
    try:
        zone = ZoneInfo(timezone)
        times = CronSim(cron, now.astimezone(zone).replace(microsecond=0))
        return [next(times).isoformat() for _ in range(count)]
    except (CronSimError, ValueError, KeyError, StopIteration):
        return []


def _schedule(schedule: Any, now: datetime) -> Any:
    if not isinstance(schedule, dict):
        return schedule
    cron, timezone = schedule.get("cron"), schedule.get("timezone") or "UTC"
    active = schedule.get("active", True)
    summary = dict(schedule)
    runs: list[str] = []
    if isinstance(cron, str) and UNKNOWN_TEXT not in (cron, timezone) and active is True:
        runs = next_runs(cron, str(timezone), now)
    summary["next_runs"] = runs
    return summary


def _prefect_object(
    declaration: Declaration, inputs: dict[str, Any], now: datetime, pool_image: Any
) -> dict[str, Any]:
    kind = declaration.type_.removeprefix(PREFECT_TYPE_PREFIX)
    entry: dict[str, Any] = {"kind": kind, "resource": declaration.name}
    if kind == "WorkPool":
        defaults = inputs.get("job_variable_defaults") or {}
        entry |= {"name": inputs.get("name"), "type": inputs.get("type")}
        entry["image"] = defaults.get("image") if isinstance(defaults, dict) else defaults
    elif kind == "Block":
        entry |= {"name": f"{inputs.get('type_slug')}/{inputs.get('name')}"}
        entry["data"] = inputs.get("data")
    elif kind == "Deployment":
        job_variables = inputs.get("job_variables") or {}
        image = job_variables.get("image") if isinstance(job_variables, dict) else None
        entry |= {
            "name": f"{inputs.get('flow_name')}/{inputs.get('name')}",
            "entrypoint": inputs.get("entrypoint"),
            "work_pool": inputs.get("work_pool_name"),
            "schedule": _schedule(inputs.get("schedule"), now),
            "parameters": inputs.get("parameters") or {},
            "image": image if image is not None else pool_image,
            "tags": inputs.get("tags") or [],
        }
    else:  # a kind this summary does not know yet: its name and every input
        entry |= {"name": inputs.get("name", declaration.name), "inputs": inputs}
    return entry


_KIND_ORDER = {"WorkPool": 0, "Block": 1, "Deployment": 2}


def prefect_section(
    declarations: list[Declaration], now: datetime, root: str
) -> list[dict[str, Any]]:
    """The stack's Prefect objects with the values people check, pools first."""
    prefect = [d for d in declarations if d.type_.startswith(PREFECT_TYPE_PREFIX)]
    inputs = {d.urn: plain_inputs(d, root) for d in prefect}
    pool_defaults = [
        inputs[d.urn].get("job_variable_defaults") for d in prefect if d.type_.endswith(":WorkPool")
    ]
    # A deployment without its own image runs its pool's (when the stack has one pool).
    pool_images = [d.get("image") for d in pool_defaults if isinstance(d, dict)]
    pool_image = pool_images[0] if len(pool_images) == 1 else None
    entries = [_prefect_object(d, inputs[d.urn], now, pool_image) for d in prefect]
    return sorted(entries, key=lambda e: (_KIND_ORDER.get(e["kind"], 9), e["kind"], str(e["name"])))


def resources_section(declarations: list[Declaration], root: str) -> list[dict[str, Any]]:
    """Every registration (components too) with its parent, sorted by URN."""
    entries = [
        {
            "urn": d.urn,
            "type": d.type_,
            "name": d.name,
            "parent": d.parent or None,
            "component": not d.custom,
            "inputs": plain_inputs(d, root) if d.custom else {},
        }
        for d in declarations
    ]
    return sorted(entries, key=lambda e: e["urn"])


def plan_document(
    stack: str,
    capture: Capture,
    values: Mapping[str, str],
    secret_keys: list[str],
    now: datetime,
    root: Path = PROJECT_DIR,
) -> dict[str, Any]:
    """The whole plan; see the module docstring for its shape."""
    if capture.config is None:
        raise ValueError("the program run recorded no config")
    base = str(root)
    return {
        "format": FORMAT,
        "project": PROJECT,
        "stack": stack,
        "now": now.isoformat(),
        "config": config_section(capture.config, values, secret_keys, base),
        "prefect": prefect_section(capture.declarations, now, base),
        "resources": resources_section(capture.declarations, base),
        "outputs": plain(dict(sorted(capture.outputs.items())), base),
        "warnings": sorted(_relative(w, base) for w in capture.warnings),
    }
