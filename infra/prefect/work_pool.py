"""The `WorkPool` resource: a Prefect work pool with its type's base job template.

The template is the worker type's default (`ProcessWorker`, prefect-aws `ECSWorker`, ...) with
`job_variable_defaults` written into the template's variable defaults, so deployments and
flow runs inherit them (ECS cluster, subnets, roles, image, ...).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, ReadResult, UpdateResult

from infra.prefect.base import (
    PrefectProvider,
    PrefectProviderError,
    check_name,
    check_optional_bool,
    check_optional_int,
    check_optional_mapping,
    is_unknown,
    resource_props,
)
from infra.prefect.templates import (
    UnknownWorkPoolTypeError,
    apply_variable_defaults,
    default_base_job_template,
    undeclared,
    variable_defaults,
)

if TYPE_CHECKING:
    from prefect.client.schemas.objects import WorkPool as LiveWorkPool


class WorkPoolProvider(PrefectProvider):
    """CRUD for a Prefect work pool; the Pulumi id is the pool name."""

    kind: ClassVar[str] = "work pool"
    defaults: ClassVar[Mapping[str, Any]] = {
        "name": None,
        "type": None,
        "job_variable_defaults": {},
        "description": None,
        "concurrency_limit": None,
        "paused": False,
    }
    identity_keys: ClassVar[tuple[str, ...]] = ("name", "type")

    @classmethod
    def output_keys(cls) -> tuple[str, ...]:
        """The server's UUID of the pool."""
        return ("pool_id",)

    def validate(self, props: Mapping[str, Any]) -> list[CheckFailure]:
        """Names, types, and job variable defaults the pool type's template declares."""
        failures = check_name(props, "name") + check_name(props, "type")
        failures += check_optional_mapping(props, "job_variable_defaults")
        failures += check_optional_int(props, "concurrency_limit")
        failures += check_optional_bool(props, "paused")
        description = props.get("description")
        if (
            description is not None
            and not is_unknown(description)
            and not isinstance(description, str)
        ):
            failures.append(CheckFailure("description", "`description` must be a string"))
        if failures or is_unknown(props.get("type")):
            return failures
        try:
            template = default_base_job_template(props["type"])
        except UnknownWorkPoolTypeError as exc:
            return [CheckFailure("type", str(exc))]
        defaults = props.get("job_variable_defaults") or {}
        missing = undeclared(defaults, template) if not is_unknown(defaults) else []
        if missing:
            failures.append(
                CheckFailure(
                    "job_variable_defaults",
                    f"{', '.join(missing)} not declared by the {props['type']!r} base job "
                    f"template; declared: {', '.join(sorted(template['variables']['properties']))}",
                )
            )
        return failures

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As the base, but a new type under the same name deletes the old pool first: pool
        names are unique, so the usual create-before-delete would collide."""
        result = super().diff(id_, olds, news)
        if result.replaces and "name" not in result.replaces:
            result.delete_before_replace = True
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create the pool, or adopt an existing pool of the same name and type."""
        from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
        from prefect.exceptions import ObjectAlreadyExists

        desired = self.normalise(props)
        name = desired["name"]
        template = apply_variable_defaults(
            default_base_job_template(desired["type"]), desired["job_variable_defaults"]
        )
        with self.session("create", name) as client:
            try:
                pool = client.create_work_pool(
                    WorkPoolCreate(
                        name=name,
                        type=desired["type"],
                        base_job_template=template,
                        description=desired["description"],
                        is_paused=desired["paused"],
                        concurrency_limit=desired["concurrency_limit"],
                    )
                )
            except ObjectAlreadyExists:
                existing = client.read_work_pool(name)
                if existing.type != desired["type"]:
                    raise PrefectProviderError(
                        f"Prefect work pool {name!r}: create failed at "
                        f"{self.connection.api_url}: a pool of type {existing.type!r} already "
                        f"has this name; delete it or choose another name for the "
                        f"{desired['type']!r} pool"
                    ) from None
                client.update_work_pool(
                    name,
                    WorkPoolUpdate(
                        base_job_template=template,
                        description=desired["description"],
                        is_paused=desired["paused"],
                        concurrency_limit=desired["concurrency_limit"],
                    ),
                )
                pool = client.read_work_pool(name)
        return CreateResult(name, {**desired, "pool_id": str(pool.id)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live pool as inputs (drift shows in `pulumi refresh`); gone -> empty id."""
        from prefect.exceptions import ObjectNotFound

        with self.session("read", id_) as client:
            try:
                pool = client.read_work_pool(id_)
            except ObjectNotFound:
                return ReadResult("", {})
        live = self._live_inputs(pool, self.normalise(props))
        return ReadResult(id_, {**live, "pool_id": str(pool.id)}, live)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """PATCH only the changed fields; a template change keeps unmanaged variables as-is."""
        from prefect.client.schemas.actions import WorkPoolUpdate

        old, desired = self.normalise(olds), self.normalise(news)
        changed = self.changed_keys(olds, news)
        fields: dict[str, Any] = {}
        if "description" in changed:
            fields["description"] = desired["description"]
        if "paused" in changed:
            fields["is_paused"] = desired["paused"]
        if "concurrency_limit" in changed:
            fields["concurrency_limit"] = desired["concurrency_limit"]
        with self.session("update", id_) as client:
            if "job_variable_defaults" in changed:
                fields["base_job_template"] = self._updated_template(
                    client.read_work_pool(id_).base_job_template,
                    desired["type"],
                    old["job_variable_defaults"],
                    desired["job_variable_defaults"],
                )
            if fields:
                client.update_work_pool(id_, WorkPoolUpdate(**fields))
        return UpdateResult({**desired, "pool_id": olds.get("pool_id")})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Delete the pool; a pool that is already gone counts as deleted."""
        from prefect.exceptions import ObjectNotFound

        with self.session("delete", id_) as client, contextlib.suppress(ObjectNotFound):
            client.delete_work_pool(id_)

    @staticmethod
    def _updated_template(
        live: Mapping[str, Any],
        pool_type: str,
        old_defaults: Mapping[str, Any],
        new_defaults: Mapping[str, Any],
    ) -> dict[str, Any]:
        """The live template with our defaults applied; keys we stop managing get the type's
        own default back."""
        pristine = default_base_job_template(pool_type)
        dropped = [key for key in old_defaults if key not in new_defaults]
        restored = variable_defaults(pristine, dropped)
        return apply_variable_defaults(live, {**restored, **new_defaults})

    @staticmethod
    def _live_inputs(pool: LiveWorkPool, managed: Mapping[str, Any]) -> dict[str, Any]:
        """The pool's inputs as the server holds them, for the variables we manage."""
        return {
            "name": pool.name,
            "type": pool.type,
            "job_variable_defaults": variable_defaults(
                pool.base_job_template, list(managed["job_variable_defaults"])
            ),
            "description": pool.description,
            "concurrency_limit": pool.concurrency_limit,
            "paused": pool.is_paused,
        }


class WorkPool(pulumi.dynamic.Resource, module="prefect", name="WorkPool"):
    """A Prefect work pool managed by Pulumi.

    `WorkPool(resource_name, props, opts=None)` where `props` is a dict with the keys
    `name`, `type` (`process`, `ecs`, ...), `job_variable_defaults` (dict of template variable
    defaults), `description`, `concurrency_limit`, `paused`. Values may be `pulumi.Output`s.
    Outputs: the inputs, `id` (the pool name) and `pool_id` (the server's UUID).
    """

    name: pulumi.Output[str]
    type: pulumi.Output[str]
    job_variable_defaults: pulumi.Output[dict[str, Any]]
    description: pulumi.Output[str | None]
    concurrency_limit: pulumi.Output[int | None]
    paused: pulumi.Output[bool]
    pool_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            WorkPoolProvider(), resource_name, resource_props(WorkPoolProvider, props), opts
        )
