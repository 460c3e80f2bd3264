"""The deployment's one cron schedule: validation and the normalised shape diffs compare.

Pulumi manages exactly one schedule per deployment, found by a stable slug, so updates PATCH
it in place (same id, no duplicated or dropped runs) and schedules added by hand in the UI under
other slugs are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEDULE_SLUG = "pulumi"
DEFAULT_TIMEZONE = "UTC"
_KEYS = ("cron", "timezone", "active")


def normalise_schedule(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`{"cron", "timezone", "active"}` with defaults (UTC, active), or None for no schedule."""
    if value is None:
        return None
    timezone = value.get("timezone")
    active = value.get("active")
    return {
        "cron": value.get("cron"),
        "timezone": DEFAULT_TIMEZONE if timezone is None else timezone,
        "active": True if active is None else active,
    }


def schedule_problems(value: object) -> dict[str, str]:
    """Problems keyed by property path (`schedule.cron`, ...); empty when the schedule is valid.

    Uses Prefect's own cron and timezone validators, so what passes here the server accepts.
    """
    from prefect._internal.schemas.validators import default_timezone, validate_cron_string

    if value is None:
        return {}
    if not isinstance(value, Mapping):
        return {"schedule": f"`schedule` must be a dict with keys {', '.join(_KEYS)}"}
    problems: dict[str, str] = {}
    extra = sorted(set(value) - set(_KEYS))
    if extra:
        problems["schedule"] = (
            f"unknown schedule key(s) {', '.join(extra)}; allowed: {', '.join(_KEYS)}"
        )
    cron = value.get("cron")
    if not isinstance(cron, str) or not cron.strip():
        problems["schedule.cron"] = f"`schedule.cron` must be a cron string, got {cron!r}"
    else:
        try:
            validate_cron_string(cron)
        except ValueError as exc:
            problems["schedule.cron"] = f"{exc}; expected 5 fields, e.g. '0 6 * * *'"
    timezone = value.get("timezone")
    if timezone is not None:
        try:
            default_timezone(str(timezone))
        except ValueError as exc:
            problems["schedule.timezone"] = str(exc)
    active = value.get("active")
    if active is not None and not isinstance(active, bool):
        problems["schedule.active"] = f"`schedule.active` must be true or false, got {active!r}"
    return problems
