"""The `Automation` resource: a Prefect automation (an event trigger and its actions).

The trigger is an event trigger in Prefect's own shape (`posture` Reactive or Proactive,
`after`, `expect`, `match`, `match_related`, `for_each`, `threshold`, `within` in seconds);
actions are Prefect action dicts (`send-notification`, `cancel-flow-run`, ...). Both are
checked offline with Prefect's own schemas and compared in a normalised form (sets sorted,
defaults filled, numbers canonical), so a re-ordered `expect` list is no change.

Create adopts an automation of the same name (`pulumi import` does not work for dynamic
resources); update is one PUT (or one PATCH when only `enabled` changed) on the same id, so the
automation's history and id survive; only a new name replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, UpdateResult

from infra.prefect.base import (
    PrefectProvider,
    canonical,
    check_name,
    check_optional_bool,
    check_tags,
    is_unknown,
    resource_props,
)

if TYPE_CHECKING:
    from uuid import UUID

    from prefect.client.orchestration import SyncPrefectClient
    from prefect.events.schemas.automations import Automation as LiveAutomation
    from prefect.events.schemas.automations import AutomationCore

POSTURES = ("Reactive", "Proactive")
# Prefect's rule: a proactive trigger waits at least this long (0 means this).
PROACTIVE_MIN_WITHIN_S = 10
# The event trigger's fields as inputs spell them (Prefect's `EventTrigger`).
TRIGGER_KEYS = (
    "type",
    "posture",
    "after",
    "expect",
    "match",
    "match_related",
    "for_each",
    "threshold",
    "within",
)
_LABEL_SETS = ("after", "expect", "for_each")
_SPECS = ("match", "match_related")


def _action_types() -> dict[str, type[Any]]:
    """Prefect's action models by their `type` (`send-notification`, `cancel-flow-run`, ...)."""
    from typing import get_args

    from prefect.events.actions import ActionTypes

    return {model.model_fields["type"].default: model for model in get_args(ActionTypes)}


def _title_posture(value: object) -> object:
    if isinstance(value, str) and value.capitalize() in POSTURES:
        return value.capitalize()
    return value


def _label_set(value: object) -> object:
    """A set of event names / labels as a sorted list (Prefect stores sets)."""
    if value is None:
        return []
    if isinstance(value, str) and not is_unknown(value):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(set(value))
    return value


def _resource_spec(value: object) -> object:
    """A resource specification (label -> value or list of values), list values sorted."""
    if value is None:
        return {}
    if isinstance(value, list):
        return [_resource_spec(item) for item in value]
    if not isinstance(value, dict):
        return value
    spec: dict[str, Any] = {}
    for label, wanted in value.items():
        if isinstance(wanted, list) and all(isinstance(v, str) for v in wanted):
            spec[label] = sorted(set(wanted))
        else:
            spec[label] = wanted
    return spec


def normalise_trigger(trigger: object) -> object:
    """The trigger with Prefect's defaults filled in and its sets sorted; unknowns kept."""
    if not isinstance(trigger, Mapping):
        return canonical(trigger)
    given = canonical(trigger)
    posture = _title_posture(given.get("posture", "Reactive"))
    within = given.get("within", 0)
    if posture == "Proactive" and within == 0:
        within = PROACTIVE_MIN_WITHIN_S
    normalised = {
        **{k: v for k, v in given.items() if k not in TRIGGER_KEYS},  # check() reports these
        "type": given.get("type", "event"),
        "posture": posture,
        "threshold": given.get("threshold", 1),
        "within": within,
    }
    for key in _LABEL_SETS:
        normalised[key] = _label_set(given.get(key))
    for key in _SPECS:
        normalised[key] = _resource_spec(given.get(key))
    return normalised


def normalise_action(action: object) -> object:
    """The action with its model's defaults filled in (e.g. a notification's `subject`)."""
    if not isinstance(action, Mapping) or is_unknown(action):
        return canonical(action)
    model = _action_types().get(str(action.get("type")))
    if model is None:
        return canonical(action)
    try:
        return canonical(model.model_validate(dict(action)).model_dump(mode="json"))
    except ValueError:  # pydantic's ValidationError; check() reports it
        return canonical(action)


def _node_at(value: object, path: Sequence[object]) -> object:
    """The deepest value reachable in `value` along a pydantic error location."""
    node = value
    for step in path:
        found = (isinstance(node, Mapping) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        )
        if not found:
            break
        node = node[step]  # type: ignore[index]
    return node


def _schema_failures(model: Any, value: Mapping[str, Any], prefix: str) -> list[CheckFailure]:
    """Prefect's own validation of `value`, minus errors about values not known yet."""
    from pydantic import ValidationError

    try:
        model.model_validate(dict(value))
    except ValidationError as exc:
        failures = []
        for error in exc.errors():
            location = [step for step in error["loc"] if step != model.__name__]
            if is_unknown(_node_at(value, location)):
                continue  # a preview: the value arrives later and is checked then
            path = ".".join([prefix, *(str(step) for step in location)])
            message = str(error["msg"]).removeprefix("Value error, ")
            failures.append(CheckFailure(path, f"`{path}`: {message}"))
        return failures
    return []


def trigger_failures(trigger: object) -> list[CheckFailure]:
    """Problems with an event trigger, each naming its property (`trigger.within`, ...)."""
    from prefect.events.schemas.automations import EventTrigger

    if is_unknown(trigger) and not isinstance(trigger, Mapping):
        return []
    if not isinstance(trigger, Mapping):
        return [
            CheckFailure(
                "trigger",
                "`trigger` must be a dict of Prefect event trigger fields "
                f"({', '.join(TRIGGER_KEYS)}), got {trigger!r}",
            )
        ]
    failures = [
        CheckFailure(
            f"trigger.{key}",
            f"unknown trigger field `{key}`; allowed: {', '.join(TRIGGER_KEYS)}",
        )
        for key in sorted(set(trigger) - set(TRIGGER_KEYS))
    ]
    trigger_type = trigger.get("type", "event")
    if trigger_type != "event" and not is_unknown(trigger_type):
        failures.append(
            CheckFailure(
                "trigger.type", f"`trigger.type` must be 'event' (or unset), got {trigger_type!r}"
            )
        )
    posture = trigger.get("posture", "Reactive")
    if not is_unknown(posture) and _title_posture(posture) not in POSTURES:
        failures.append(
            CheckFailure(
                "trigger.posture",
                f"`trigger.posture` must be Reactive or Proactive, got {posture!r}",
            )
        )
    for key in ("threshold", "within"):
        value = trigger.get(key)
        if value is None or is_unknown(value):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            unit = "seconds" if key == "within" else "events"
            failures.append(
                CheckFailure(
                    f"trigger.{key}", f"`trigger.{key}` must be a number of {unit}, got {value!r}"
                )
            )
    if failures:
        return failures
    normalised = normalise_trigger(trigger)
    assert isinstance(normalised, dict)
    return _schema_failures(EventTrigger, normalised, "trigger")


def action_failures(actions: object) -> list[CheckFailure]:
    """Problems with the action list, each naming its property (`actions[0].body`, ...)."""
    if is_unknown(actions) and not isinstance(actions, list):
        return []
    if not isinstance(actions, list) or not actions:
        return [
            CheckFailure(
                "actions",
                "`actions` must be a non-empty list of Prefect action dicts, e.g. "
                "[{'type': 'cancel-flow-run'}]",
            )
        ]
    known = _action_types()
    failures: list[CheckFailure] = []
    for index, action in enumerate(actions):
        where = f"actions[{index}]"
        if is_unknown(action) and not isinstance(action, Mapping):
            continue
        if not isinstance(action, Mapping):
            failures.append(CheckFailure(where, f"`{where}` must be a dict, got {action!r}"))
            continue
        action_type = action.get("type")
        if is_unknown(action_type):
            continue
        model = known.get(str(action_type))
        if model is None:
            failures.append(
                CheckFailure(
                    f"{where}.type",
                    f"`{where}.type` {action_type!r} is not a Prefect action; allowed: "
                    f"{', '.join(sorted(known))}",
                )
            )
            continue
        extra = sorted(set(action) - set(model.model_fields))
        if extra:
            failures.append(
                CheckFailure(
                    where,
                    f"`{where}` has field(s) {', '.join(extra)} that a {action_type!r} action "
                    f"does not take; allowed: {', '.join(sorted(model.model_fields))}",
                )
            )
            continue
        failures += _schema_failures(model, action, where)
    return failures


class AutomationProvider(PrefectProvider):
    """CRUD for a Prefect automation; the Pulumi id is the automation's UUID."""

    kind: ClassVar[str] = "automation"
    defaults: ClassVar[Mapping[str, Any]] = {
        "name": None,
        "description": "",
        "enabled": True,
        "tags": [],
        "trigger": None,
        "actions": [],
    }
    identity_keys: ClassVar[tuple[str, ...]] = ("name",)

    def normalise(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Base normalisation plus the trigger's and each action's defaults."""
        normalised = super().normalise(props)
        normalised["trigger"] = normalise_trigger(normalised["trigger"])
        actions = normalised["actions"]
        if isinstance(actions, list):
            normalised["actions"] = [normalise_action(a) for a in actions]
        tags = normalised["tags"]
        if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
            normalised["tags"] = sorted(set(tags))
        return normalised

    def validate(self, props: Mapping[str, Any]) -> list[CheckFailure]:
        """Name, description, enabled, tags, the trigger and every action."""
        failures = check_name(props, "name") + check_optional_bool(props, "enabled")
        failures += check_tags(props.get("tags"))
        description = props.get("description")
        if (
            description is not None
            and not is_unknown(description)
            and not isinstance(description, str)
        ):
            failures.append(
                CheckFailure("description", f"`description` must be a string, got {description!r}")
            )
        if props.get("trigger") is None:
            failures.append(CheckFailure("trigger", "`trigger` is required (an event trigger)"))
        else:
            failures += trigger_failures(props["trigger"])
        return failures + action_failures(props.get("actions"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create the automation, or adopt (and update in place) one with the same name."""
        desired = self.normalise(props)
        automation = _automation_core(desired)
        with self.session("create", desired["name"]) as client:
            existing = _by_name(client, desired["name"])
            if existing is None:
                automation_id = client.create_automation(automation)
            else:
                automation_id = existing.id
                client.update_automation(automation_id, automation)
        return CreateResult(str(automation_id), desired)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live automation as inputs (drift shows in `pulumi refresh`); gone -> empty id."""
        with self.session("read", props.get("name") or id_) as client:
            live = _read(client, _uuid(id_))
        if live is None:
            return ReadResult("", {})
        inputs = self._live_inputs(live)
        return ReadResult(id_, inputs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """One PATCH when only `enabled` changed, else one PUT of the whole automation."""
        desired = self.normalise(news)
        changed = self.changed_keys(olds, news)
        with self.session("update", desired["name"]) as client:
            if changed == ["enabled"]:
                if desired["enabled"]:
                    client.resume_automation(_uuid(id_))
                else:
                    client.pause_automation(_uuid(id_))
            elif changed:
                client.update_automation(_uuid(id_), _automation_core(desired))
        return UpdateResult(desired)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the automation; already gone counts as deleted."""
        from prefect.exceptions import ObjectNotFound

        with self.session("delete", props.get("name") or id_) as client:
            try:
                client.delete_automation(_uuid(id_))
            except ObjectNotFound:
                return
            except Exception as exc:
                if _status(exc) != 404:
                    raise

    def _live_inputs(self, live: LiveAutomation) -> dict[str, Any]:
        """The automation's inputs as the server holds them."""
        dumped = live.model_dump(mode="json")
        trigger = {k: v for k, v in dumped["trigger"].items() if k in TRIGGER_KEYS}
        return self.normalise(
            {
                "name": dumped["name"],
                "description": dumped["description"],
                "enabled": dumped["enabled"],
                "tags": dumped.get("tags") or [],
                "trigger": trigger,
                "actions": dumped["actions"],
            }
        )


def _automation_core(desired: Mapping[str, Any]) -> AutomationCore:
    from prefect.events.schemas.automations import AutomationCore

    return AutomationCore.model_validate(
        {
            "name": desired["name"],
            "description": desired["description"],
            "enabled": desired["enabled"],
            "tags": desired["tags"],
            "trigger": desired["trigger"],
            "actions": desired["actions"],
        }
    )


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _read(client: SyncPrefectClient, automation_id: UUID) -> LiveAutomation | None:
    """The automation, or None when it is gone (Prefect raises or returns None for a 404)."""
    from prefect.exceptions import ObjectNotFound

    try:
        return client.read_automation(automation_id)
    except ObjectNotFound:
        return None
    except Exception as exc:
        if _status(exc) == 404:
            return None
        raise


def _by_name(client: SyncPrefectClient, name: str) -> LiveAutomation | None:
    """The most recently updated automation called exactly `name`, if any."""
    return next((a for a in client.read_automations_by_name(name) if a.name == name), None)


def _uuid(value: str) -> UUID:
    from uuid import UUID

    return UUID(value)


class Automation(pulumi.dynamic.Resource, module="prefect", name="Automation"):
    """A Prefect automation managed by Pulumi.

    `Automation(resource_name, props, opts=None)` where `props` is a dict with the keys
    `name`, `description`, `enabled` (default true), `tags`, `trigger` (Prefect event trigger
    fields: `posture` Reactive/Proactive, `after`, `expect`, `match`, `match_related`,
    `for_each`, `threshold`, `within` in seconds) and `actions` (Prefect action dicts, e.g.
    `{"type": "send-notification", "block_document_id": block.id, "body": "..."}` or
    `{"type": "cancel-flow-run"}`). Values may be `pulumi.Output`s.
    Outputs: the inputs; the resource's `id` is the automation's UUID.
    """

    name: pulumi.Output[str]
    description: pulumi.Output[str]
    enabled: pulumi.Output[bool]
    tags: pulumi.Output[list[str]]
    trigger: pulumi.Output[dict[str, Any]]
    actions: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        resource_name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            AutomationProvider(), resource_name, resource_props(AutomationProvider, props), opts
        )
