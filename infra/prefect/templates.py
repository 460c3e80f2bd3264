"""Work pool base job templates: the worker type's default, with our variable defaults applied.

Pure functions apart from looking up the locally installed worker class (no network): `process`
comes with Prefect, `ecs` with prefect-aws.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


class UnknownWorkPoolTypeError(ValueError):
    """No installed Prefect worker provides this work pool type."""


def installed_pool_types() -> list[str]:
    """Work pool types whose worker is installed here (e.g. `process`, `ecs`)."""
    from prefect.workers.base import BaseWorker

    return sorted(BaseWorker.get_all_available_worker_types())


def default_base_job_template(pool_type: str) -> dict[str, Any]:
    """The worker type's own default base job template (a fresh copy)."""
    from prefect.workers.base import BaseWorker

    worker = BaseWorker.get_worker_class_from_type(pool_type)
    if worker is None:
        raise UnknownWorkPoolTypeError(
            f"work pool type {pool_type!r} has no installed worker; "
            f"installed types: {', '.join(installed_pool_types())}"
        )
    return copy.deepcopy(worker.get_default_base_job_template())


def declared_variables(template: Mapping[str, Any]) -> set[str]:
    """The job variable names a base job template declares."""
    return set(template.get("variables", {}).get("properties", {}))


def undeclared(job_variables: Mapping[str, Any], template: Mapping[str, Any]) -> list[str]:
    """Keys of `job_variables` the template does not declare, sorted."""
    return sorted(set(job_variables) - declared_variables(template))


def apply_variable_defaults(
    template: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """A copy of `template` whose variables default to `defaults` (each key must be declared)."""
    missing = undeclared(defaults, template)
    if missing:
        raise KeyError(f"job variables not declared by the template: {', '.join(missing)}")
    result = copy.deepcopy(dict(template))
    properties = result["variables"]["properties"]
    for key, value in defaults.items():
        properties[key]["default"] = copy.deepcopy(value)
    return result


def variable_defaults(template: Mapping[str, Any], keys: list[str]) -> dict[str, Any]:
    """The current defaults of `keys` in `template` (None for a key without a default)."""
    properties = template.get("variables", {}).get("properties", {})
    return {key: properties.get(key, {}).get("default") for key in keys}
