"""Read a stack's config from `Pulumi.yaml` + `Pulumi.<stack>.yaml` the way the Pulumi CLI does.

The CLI applies the project's config defaults and the stack file before the program runs; code
that runs a stack without the CLI (the local runner, the tests' mocks harness) uses this instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from infra.config import PROJECT, PROJECT_DIR


def project_schema(project_dir: Path = PROJECT_DIR) -> dict[str, dict[str, Any]]:
    """The `config:` block of Pulumi.yaml: key -> {type, default, description}."""
    document = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    return dict(document.get("config") or {})


def _as_config_string(value: Any) -> str:
    # The engine hands every config value to the program as a string; structured values as JSON.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def stack_config_values(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """Fully qualified config (`covid-forecast:city`, `aws:region`, ...) as strings.

    Project defaults first, then the stack file's values. Secure values (`secure:`) are left out:
    only the CLI can decrypt them.
    """
    values: dict[str, str] = {}
    for key, spec in project_schema(project_dir).items():
        if isinstance(spec, dict) and "default" in spec:
            values[f"{PROJECT}:{key}"] = _as_config_string(spec["default"])
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise FileNotFoundError(f"no stack file {stack_file.name} in {project_dir}")
    # Scalars stay the text written in the file (BaseLoader), as the CLI passes them: an
    # unquoted all-digit runId must not lose its leading zeros by way of an int.
    document = yaml.load(stack_file.read_text(), Loader=yaml.BaseLoader) or {}  # noqa: S506
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            continue
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        values[full_key] = _as_config_string(value)
    return values


def project_values(values: dict[str, str], namespace: str = PROJECT) -> dict[str, str]:
    """The keys of one namespace, without the `namespace:` prefix."""
    prefix = f"{namespace}:"
    return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}
