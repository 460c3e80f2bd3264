"""The `Deployment` resource: a Prefect deployment with one managed cron schedule.

Create is Prefect's server-side upsert on (flow, name); update PATCHes only the changed fields
(a `run_id` rollout is one PATCH, after which the scheduler re-creates future runs with the new
parameters) and edits the schedule in place through the schedules endpoints by its slug.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, UpdateResult

from infra.prefect.base import (
    PrefectProvider,
    check_name,
    check_optional_bool,
    check_optional_int,
    check_optional_mapping,
    check_optional_string,
    check_tags,
    is_unknown,
    json_problem,
    resource_props,
)
from infra.prefect.schedule import SCHEDULE_SLUG, normalise_schedule, schedule_problems
from infra.prefect.templates import UnknownWorkPoolTypeError, default_base_job_template, undeclared

if TYPE_CHECKING:
    from uuid import UUID

    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import DeploymentSchedule
    from prefect.client.schemas.responses import DeploymentResponse

# Inputs that map one-to-one onto fields of Prefect's DeploymentUpdate.
_PATCHABLE = (
    "entrypoint",
    "work_pool_name",
    "parameters",
    "job_variables",
    "tags",
    "description",
    "pull_steps",
    "concurrency_limit",
    "concurrency_options",
    "paused",
)
# Prefect's collision strategies for a deployment at its concurrency limit.
COLLISION_STRATEGIES = ("ENQUEUE", "CANCEL_NEW")
_CONCURRENCY_OPTION_KEYS = ("collision_strategy", "grace_period_seconds")


class DeploymentProvider(PrefectProvider):
    """CRUD for a Prefect deployment; the Pulumi id is the deployment's UUID."""

    kind: ClassVar[str] = "deployment"
    defaults: ClassVar[Mapping[str, Any]] = {
        "flow_name": None,
        "name": None,
        "entrypoint": None,
        "work_pool_name": None,
        # Only read by check(): the pool's type tells which job variables its template declares.
        "work_pool_type": None,
        "parameters": {},
        "job_variables": {},
        "schedule": None,
        "tags": [],
        "description": None,
        "pull_steps": [],
        "concurrency_limit": None,
        # {"collision_strategy": "ENQUEUE" | "CANCEL_NEW", "grace_period_seconds": int | None}
        "concurrency_options": None,
        "paused": False,
    }
    identity_keys: ClassVar[tuple[str, ...]] = ("flow_name", "name")

    @classmethod
    def output_keys(cls) -> tuple[str, ...]:
        """UI URL, flow UUID and the managed schedule's UUID."""
        return ("url", "flow_id", "schedule_id")

    def normalise(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Base normalisation plus the schedule's defaults (UTC, active)."""
        normalised = super().normalise(props)
        # Prefect cannot store "no description" (see `_wire_description`); "" reads back.
        if normalised["description"] == "":
            normalised["description"] = None
        schedule = normalised["schedule"]
        if not is_unknown(schedule):
            normalised["schedule"] = normalise_schedule(schedule)
        normalised["concurrency_options"] = _normalise_concurrency_options(
            normalised["concurrency_options"]
        )
        return normalised

    def validate(self, props: Mapping[str, Any]) -> list[CheckFailure]:
        """Names, JSON parameters, cron and timezone, tags, pull steps, declared job variables."""
        failures = check_name(props, "flow_name") + check_name(props, "name")
        for key in ("entrypoint", "work_pool_name", "work_pool_type", "description"):
            failures += check_optional_string(props, key)
        for key in ("parameters", "job_variables"):
            failures += check_optional_mapping(props, key)
        failures += check_optional_int(props, "concurrency_limit")
        failures += _check_concurrency_options(props.get("concurrency_options"))
        failures += check_optional_bool(props, "paused")
        failures += check_tags(props.get("tags"))
        failures += _check_pull_steps(props.get("pull_steps"))
        if not is_unknown(props.get("schedule")):
            failures += [
                CheckFailure(path, reason)
                for path, reason in schedule_problems(props.get("schedule")).items()
            ]
        if not failures:
            failures += _check_job_variables(props)
        return failures

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create the flow if missing and upsert the deployment with its schedule."""
        from prefect.client.schemas.actions import DeploymentScheduleCreate

        desired = self.normalise(props)
        schedules = []
        if desired["schedule"] is not None:
            schedules.append(
                DeploymentScheduleCreate(
                    schedule=_cron(desired["schedule"]),
                    active=desired["schedule"]["active"],
                    slug=SCHEDULE_SLUG,
                )
            )
        with self.session("create", _label(desired)) as client:
            flow_id = client.create_flow_from_name(desired["flow_name"])
            deployment_id = client.create_deployment(
                flow_id,
                desired["name"],
                entrypoint=desired["entrypoint"],
                work_pool_name=desired["work_pool_name"],
                parameters=desired["parameters"],
                job_variables=desired["job_variables"],
                tags=desired["tags"],
                description=_wire_description(desired["description"]),
                pull_steps=desired["pull_steps"],
                concurrency_limit=desired["concurrency_limit"],
                concurrency_options=_concurrency_options(desired["concurrency_options"]),
                paused=desired["paused"],
                schedules=schedules,
            )
            live = client.read_deployment(deployment_id)
        return CreateResult(str(deployment_id), self._outputs(desired, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live deployment as inputs (drift shows in `pulumi refresh`); gone -> empty id."""
        from prefect.exceptions import ObjectNotFound

        known = self.normalise(props)
        with self.session("read", _label(known)) as client:
            try:
                live = client.read_deployment(id_)
            except ObjectNotFound:
                return ReadResult("", {})
            # A deployment's flow never changes: its name is only fetched when state lacks it
            # (e.g. a bare `Deployment.get`).
            flow_name = known["flow_name"] or client.read_flow(live.flow_id).name
        inputs = self._live_inputs(live, {**known, "flow_name": flow_name})
        return ReadResult(id_, self._outputs(inputs, live), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """PATCH the changed fields; PATCH (or create/delete) the slugged schedule in place."""
        from prefect.client.schemas.actions import DeploymentUpdate

        desired = self.normalise(news)
        changed = self.changed_keys(olds, news)
        fields = {key: desired[key] for key in _PATCHABLE if key in changed}
        if "description" in fields:
            fields["description"] = _wire_description(fields["description"])
        if "concurrency_options" in fields:
            fields["concurrency_options"] = _concurrency_options(fields["concurrency_options"])
        schedule_id = olds.get("schedule_id")
        with self.session("update", _label(desired)) as client:
            if fields:
                client.update_deployment(_uuid(id_), DeploymentUpdate(**fields))
            if "schedule" in changed:
                schedule_id = self._apply_schedule(
                    client,
                    _uuid(id_),
                    schedule_id,
                    self.normalise(olds)["schedule"],
                    desired["schedule"],
                )
        return UpdateResult(
            {
                **desired,
                "url": self.connection.deployment_url(id_),
                "flow_id": olds.get("flow_id"),
                "schedule_id": schedule_id,
            }
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the deployment (its schedules and scheduled runs go with it); gone is fine."""
        from prefect.exceptions import ObjectNotFound

        with (
            self.session("delete", _label(self.normalise(props))) as client,
            contextlib.suppress(ObjectNotFound),
        ):
            client.delete_deployment(_uuid(id_))

    def _apply_schedule(
        self,
        client: SyncPrefectClient,
        deployment_id: UUID,
        schedule_id: str | None,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any] | None,
    ) -> str | None:
        """Bring the slugged schedule to `new`; return its id (None once removed)."""
        from prefect.client.schemas.actions import DeploymentScheduleCreate
        from prefect.exceptions import ObjectNotFound

        if schedule_id and old is not None and new is not None:
            with contextlib.suppress(ObjectNotFound):
                self._patch_schedule(client, deployment_id, _uuid(schedule_id), old, new)
                return schedule_id
        # No known id, or it vanished out of band: find the schedule by slug.
        live = _find_schedule(client.read_deployment_schedules(deployment_id))
        if new is None:
            if live is not None:
                with contextlib.suppress(ObjectNotFound):
                    client.delete_deployment_schedule(deployment_id, live.id)
            return None
        if live is not None:
            self._patch_schedule(client, deployment_id, live.id, old, new)
            return str(live.id)
        schedule = DeploymentScheduleCreate(
            schedule=_cron(new), active=new["active"], slug=SCHEDULE_SLUG
        )
        created = client.create_deployment_schedules(deployment_id, [schedule])
        return str(created[0].id)

    @staticmethod
    def _patch_schedule(
        client: SyncPrefectClient,
        deployment_id: UUID,
        schedule_id: UUID,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any],
    ) -> None:
        """PATCH only what the config changed, so `active` never flips behind the user's back."""
        timing_changed = old is None or (old["cron"], old["timezone"]) != (
            new["cron"],
            new["timezone"],
        )
        active_changed = old is None or old["active"] != new["active"]
        client.update_deployment_schedule(
            deployment_id,
            schedule_id,
            active=new["active"] if active_changed else None,
            schedule=_cron(new) if timing_changed else None,
        )

    def _outputs(self, inputs: Mapping[str, Any], live: DeploymentResponse) -> dict[str, Any]:
        """Inputs plus the read-only fields Pulumi exports."""
        managed = _find_schedule(live.schedules)
        return {
            **inputs,
            "url": self.connection.deployment_url(str(live.id)),
            "flow_id": str(live.flow_id),
            "schedule_id": str(managed.id) if managed else None,
        }

    def _live_inputs(self, live: DeploymentResponse, known: Mapping[str, Any]) -> dict[str, Any]:
        """The deployment's inputs as the server holds them."""
        managed = _find_schedule(live.schedules)
        schedule = None
        if managed is not None:
            schedule = {
                "cron": getattr(managed.schedule, "cron", None),
                "timezone": getattr(managed.schedule, "timezone", None),
                "active": managed.active,
            }
        limit = live.global_concurrency_limit
        return self.normalise(
            {
                "flow_name": known["flow_name"],
                "name": live.name,
                "entrypoint": live.entrypoint,
                "work_pool_name": live.work_pool_name,
                "work_pool_type": known["work_pool_type"],
                "parameters": live.parameters,
                "job_variables": live.job_variables,
                "schedule": schedule,
                "tags": live.tags,
                "description": live.description,
                "pull_steps": live.pull_steps,
                "concurrency_limit": limit.limit if limit is not None else None,
                "concurrency_options": (
                    live.concurrency_options.model_dump(mode="json")
                    if live.concurrency_options is not None
                    else None
                ),
                "paused": live.paused,
            }
        )


def _label(props: Mapping[str, Any]) -> str:
    """`flow/name`, how Prefect itself names a deployment."""
    return f"{props.get('flow_name')}/{props.get('name')}"


def _wire_description(description: str | None) -> str:
    """What to send for `description`: Prefect 3.9.1's DeploymentCreate/Update turn None into
    the text "None" (`convert_to_strings`), so "no description" travels as ""."""
    return description or ""


def _uuid(value: str) -> UUID:
    from uuid import UUID

    return UUID(value)


def _cron(schedule: Mapping[str, Any]) -> Any:
    """Prefect's CronSchedule for a normalised schedule dict."""
    from prefect.client.schemas.schedules import CronSchedule

    return CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])


def _find_schedule(schedules: list[DeploymentSchedule]) -> DeploymentSchedule | None:
    """The schedule Pulumi manages (by slug), if present."""
    return next((s for s in schedules if s.slug == SCHEDULE_SLUG), None)


def _normalise_concurrency_options(options: object) -> object:
    """Options with Prefect's defaults (no grace period) and the strategy in upper case."""
    if not isinstance(options, Mapping):
        return options
    strategy = options.get("collision_strategy", "ENQUEUE")
    if isinstance(strategy, str) and not is_unknown(strategy):
        strategy = strategy.upper()
    return {
        **options,
        "collision_strategy": strategy,
        "grace_period_seconds": options.get("grace_period_seconds"),
    }


def _check_concurrency_options(options: object) -> list[CheckFailure]:
    """Only Prefect's strategies, and a grace period of 60..86400 s when one is given."""
    if options is None or (is_unknown(options) and not isinstance(options, Mapping)):
        return []
    if not isinstance(options, Mapping):
        return [
            CheckFailure(
                "concurrency_options",
                "`concurrency_options` must be a dict like {'collision_strategy': 'CANCEL_NEW'}, "
                f"got {options!r}",
            )
        ]
    failures = [
        CheckFailure(
            "concurrency_options",
            f"unknown key `{key}` in `concurrency_options`; allowed: "
            f"{', '.join(_CONCURRENCY_OPTION_KEYS)}",
        )
        for key in sorted(set(options) - set(_CONCURRENCY_OPTION_KEYS))
    ]
    strategy = options.get("collision_strategy", "ENQUEUE")
    if not is_unknown(strategy) and (
        not isinstance(strategy, str) or strategy.upper() not in COLLISION_STRATEGIES
    ):
        failures.append(
            CheckFailure(
                "concurrency_options.collision_strategy",
                f"`concurrency_options.collision_strategy` must be one of "
                f"{', '.join(COLLISION_STRATEGIES)}, got {strategy!r}",
            )
        )
    grace = options.get("grace_period_seconds")
    if grace is not None and not is_unknown(grace):
        whole = isinstance(grace, int | float) and not isinstance(grace, bool)
        if not whole or not 60 <= grace <= 86400 or float(grace) != int(grace):
            failures.append(
                CheckFailure(
                    "concurrency_options.grace_period_seconds",
                    "`concurrency_options.grace_period_seconds` must be whole seconds from 60 "
                    f"to 86400 or unset, got {grace!r}",
                )
            )
    return failures


def _concurrency_options(options: Mapping[str, Any] | None) -> Any:
    """Prefect's ConcurrencyOptions for normalised options (None stays None)."""
    from prefect.client.schemas.objects import ConcurrencyOptions

    return None if options is None else ConcurrencyOptions.model_validate(dict(options))


def _check_pull_steps(steps: object) -> list[CheckFailure]:
    if steps is None or is_unknown(steps):
        return []
    if not isinstance(steps, list | tuple) or not all(isinstance(s, Mapping) for s in steps):
        return [
            CheckFailure(
                "pull_steps",
                "`pull_steps` must be a list of one-key dicts, e.g. "
                "[{'prefect.deployments.steps.set_working_directory': {'directory': '/opt'}}]",
            )
        ]
    problem = json_problem(list(steps))
    return [CheckFailure("pull_steps", f"`pull_steps` must be JSON: {problem}")] if problem else []


def _check_job_variables(props: Mapping[str, Any]) -> list[CheckFailure]:
    """Job variables the pool type's template does not declare (when the type is given)."""
    pool_type, job_variables = props.get("work_pool_type"), props.get("job_variables")
    if not pool_type or not job_variables or is_unknown(pool_type) or is_unknown(job_variables):
        return []
    try:
        template = default_base_job_template(str(pool_type))
    except UnknownWorkPoolTypeError as exc:
        return [CheckFailure("work_pool_type", str(exc))]
    missing = undeclared(job_variables, template)
    if not missing:
        return []
    return [
        CheckFailure(
            "job_variables",
            f"{', '.join(missing)} not declared by the {pool_type!r} work pool's base job "
            f"template; declared: {', '.join(sorted(template['variables']['properties']))}",
        )
    ]


class Deployment(pulumi.dynamic.Resource, module="prefect", name="Deployment"):
    """A Prefect deployment with one cron schedule, managed by Pulumi.

    `Deployment(resource_name, props, opts=None)` where `props` is a dict with the keys
    `flow_name`, `name`, `entrypoint` (e.g. `flow/flows.py:covid_prediction`), `work_pool_name`,
    `work_pool_type` (optional; lets `pulumi preview` reject job variables the pool type does
    not declare), `parameters`, `job_variables`, `schedule` (`{"cron", "timezone", "active"}`,
    timezone defaults to UTC, active to true; omit for no schedule), `tags`, `description`,
    `pull_steps`, `concurrency_limit`, `concurrency_options` (`{"collision_strategy":
    "CANCEL_NEW"}` cancels a run that would exceed the limit; `"ENQUEUE"` makes it wait),
    `paused`. Values may be `pulumi.Output`s.
    Outputs: the inputs, `url` (its UI page), `flow_id`, `schedule_id`; the resource's `id` is
    the deployment's UUID.
    """

    flow_name: pulumi.Output[str]
    name: pulumi.Output[str]
    entrypoint: pulumi.Output[str | None]
    work_pool_name: pulumi.Output[str | None]
    work_pool_type: pulumi.Output[str | None]
    parameters: pulumi.Output[dict[str, Any]]
    job_variables: pulumi.Output[dict[str, Any]]
    schedule: pulumi.Output[dict[str, Any] | None]
    tags: pulumi.Output[list[str]]
    description: pulumi.Output[str | None]
    pull_steps: pulumi.Output[list[dict[str, Any]]]
    concurrency_limit: pulumi.Output[int | None]
    concurrency_options: pulumi.Output[dict[str, Any] | None]
    paused: pulumi.Output[bool]
    url: pulumi.Output[str]
    flow_id: pulumi.Output[str]
    schedule_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            DeploymentProvider(), resource_name, resource_props(DeploymentProvider, props), opts
        )
