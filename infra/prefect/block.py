"""The `Block` resource: a Prefect block document of any registered block type, by slug.

Secret fields (e.g. `aws-credentials`' `aws_secret_access_key`) are read back with secrets
included so drift in them is seen, and the resource marks `data` as a secret output. A field
holding another block is written `{"$ref": {"block_document_id": <id>}}` (see `block_ref`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult, UpdateResult

from infra.prefect.base import (
    PrefectProvider,
    PrefectProviderError,
    check_name,
    check_optional_mapping,
    is_unknown,
    resource_props,
)

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import BlockDocument

_SLUG = re.compile(r"^[a-z0-9-]+$")


def block_ref(block_document_id: pulumi.Input[str]) -> dict[str, Any]:
    """The `data` value that nests another block document (e.g. S3Bucket `credentials`)."""
    return {"$ref": {"block_document_id": block_document_id}}


class BlockProvider(PrefectProvider):
    """CRUD for a Prefect block document; the Pulumi id is the document's UUID."""

    kind: ClassVar[str] = "block"
    defaults: ClassVar[Mapping[str, Any]] = {"type_slug": None, "name": None, "data": {}}
    identity_keys: ClassVar[tuple[str, ...]] = ("type_slug", "name")

    def validate(self, props: Mapping[str, Any]) -> list[CheckFailure]:
        """Slug and name in Prefect's alphabet (lowercase letters, digits, dashes), JSON data."""
        failures = check_name(props, "type_slug") + check_name(props, "name")
        for key in ("type_slug", "name"):
            value = props.get(key)
            if (
                isinstance(value, str)
                and value
                and not is_unknown(value)
                and not _SLUG.match(value)
            ):
                failures.append(
                    CheckFailure(
                        key,
                        f"`{key}` {value!r} may only hold lowercase letters, digits and "
                        "dashes (e.g. 'madrid-results')",
                    )
                )
        return failures + check_optional_mapping(props, "data")

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create the document with the type's newest schema, or adopt one of the same name."""
        from prefect.client.schemas.actions import BlockDocumentCreate, BlockDocumentUpdate
        from prefect.exceptions import ObjectAlreadyExists

        desired = self.normalise(props)
        with self.session("create", _label(desired)) as client:
            type_id, schema_id = self._type_and_schema(client, desired["type_slug"])
            try:
                document = client.create_block_document(
                    BlockDocumentCreate(
                        name=desired["name"],
                        data=desired["data"],
                        block_schema_id=schema_id,
                        block_type_id=type_id,
                    )
                )
                document_id = document.id
            except ObjectAlreadyExists:
                existing = client.read_block_document_by_name(
                    desired["name"], desired["type_slug"], include_secrets=False
                )
                document_id = existing.id
                client.update_block_document(
                    document_id,
                    BlockDocumentUpdate(
                        block_schema_id=schema_id,
                        data=desired["data"],
                        merge_existing_data=False,
                    ),
                )
        return CreateResult(str(document_id), desired)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live document, secrets included, as inputs; gone -> empty id."""
        from prefect.exceptions import ObjectNotFound

        with self.session("read", _label(self.normalise(props))) as client:
            try:
                document = client.read_block_document(_uuid(id_), include_secrets=True)
            except ObjectNotFound:
                return ReadResult("", {})
        live = self.normalise(
            {
                "type_slug": document.block_type.slug if document.block_type else None,
                "name": document.name,
                "data": _data_with_refs(document),
            }
        )
        return ReadResult(id_, live, live)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Replace the document's data (one PATCH)."""
        from prefect.client.schemas.actions import BlockDocumentUpdate

        desired = self.normalise(news)
        if "data" in self.changed_keys(olds, news):
            with self.session("update", _label(desired)) as client:
                client.update_block_document(
                    _uuid(id_),
                    BlockDocumentUpdate(data=desired["data"], merge_existing_data=False),
                )
        return UpdateResult(desired)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the document; already gone counts as deleted."""
        from prefect.exceptions import ObjectNotFound

        with (
            self.session("delete", _label(self.normalise(props))) as client,
            contextlib.suppress(ObjectNotFound),
        ):
            client.delete_block_document(_uuid(id_))

    def _type_and_schema(self, client: SyncPrefectClient, slug: str) -> tuple[Any, Any]:
        """The block type's id and its newest schema's id; an unknown slug names the fix."""
        from prefect.exceptions import ObjectNotFound

        try:
            block_type = client.read_block_type_by_slug(slug)
        except ObjectNotFound:
            raise PrefectProviderError(
                f"Prefect block type_slug {slug!r} is not registered at "
                f"{self.connection.api_url}; register it (e.g. `prefect block register -m "
                f"prefect_aws`) or use one of the registered slugs (`prefect block type ls`)"
            ) from None
        schema = client.get_most_recent_block_schema_for_block_type(block_type.id)
        if schema is None:
            raise PrefectProviderError(
                f"Prefect block type {slug!r} has no schema at {self.connection.api_url}; "
                "register it again (`prefect block register`)"
            )
        return block_type.id, schema.id


def _data_with_refs(document: BlockDocument) -> dict[str, Any]:
    """The document's data with nested blocks written back as `$ref`s, as inputs spell them."""
    data = dict(document.data)
    for field, reference in document.block_document_references.items():
        nested_id = reference.get("block_document", {}).get("id")
        if nested_id is not None:
            data[field] = {"$ref": {"block_document_id": str(nested_id)}}
    return data


def _label(props: Mapping[str, Any]) -> str:
    """`type_slug/name`, how Prefect itself addresses a block."""
    return f"{props.get('type_slug')}/{props.get('name')}"


def _uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


class Block(pulumi.dynamic.Resource, module="prefect", name="Block"):
    """A Prefect block document managed by Pulumi.

    `Block(resource_name, props, opts=None)` where `props` is a dict with the keys
    `type_slug` (`s3-bucket`, `aws-credentials`, `local-file-system`, ...), `name` and `data`
    (the block's fields; nest another block with `block_ref(other.id)`). Values may be
    `pulumi.Output`s. `data` is always stored as a secret output; pass secret field values as
    Pulumi secrets (e.g. `config.require_secret(...)`) so the stored inputs are encrypted too.
    Outputs: the inputs; the resource's `id` is the block document's UUID.
    """

    type_slug: pulumi.Output[str]
    name: pulumi.Output[str]
    data: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        secret_data = pulumi.ResourceOptions(additional_secret_outputs=["data"])
        super().__init__(
            BlockProvider(),
            resource_name,
            resource_props(BlockProvider, props),
            pulumi.ResourceOptions.merge(secret_data, opts),
        )
