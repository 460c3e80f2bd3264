"""BlockProvider against a real Prefect server: any type by slug, secrets, nested blocks."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import BlockDocumentUpdate

from infra.prefect.base import PrefectProviderError
from infra.prefect.block import BlockProvider, block_ref
from tests.integration.prefect.conftest import writes

pytestmark = pytest.mark.integration

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def creds_props(name: str, secret: str = SECRET) -> dict[str, Any]:
    return {
        "type_slug": "aws-credentials",
        "name": name,
        "data": {
            "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key": secret,
            "region_name": "eu-west-1",
        },
    }


def test_secret_fields_read_back_equal_and_drift_in_them_is_seen(
    unique: str, api: SyncPrefectClient
) -> None:
    provider = BlockProvider()
    props = provider.check({}, creds_props(f"creds-{unique}")).inputs
    created = provider.create(props)

    read = provider.read(created.id, created.outs or {})
    assert read.inputs == props
    assert provider.diff(created.id, read.outs or {}, props).changes is False

    api.update_block_document(
        uuid.UUID(created.id),
        BlockDocumentUpdate(data={"aws_secret_access_key": "rotated-by-hand"}),
    )
    drifted = provider.read(created.id, created.outs or {})
    assert drifted.inputs is not None
    assert drifted.inputs["data"]["aws_secret_access_key"] == "rotated-by-hand"
    assert provider.diff(created.id, drifted.outs or {}, props).changes is True


def test_nested_block_reference_round_trips_and_loads_as_a_real_block(
    unique: str, api: SyncPrefectClient
) -> None:
    from prefect_aws import S3Bucket

    provider = BlockProvider()
    creds = provider.create(provider.check({}, creds_props(f"creds-{unique}")).inputs)
    bucket_props = provider.check(
        {},
        {
            "type_slug": "s3-bucket",
            "name": f"results-{unique}",
            "data": {"bucket_name": "covid-results", "credentials": block_ref(creds.id)},
        },
    ).inputs
    bucket = provider.create(bucket_props)

    assert provider.read(bucket.id, bucket.outs or {}).inputs == bucket_props
    loaded = S3Bucket.load(f"results-{unique}")
    assert loaded.bucket_name == "covid-results"
    assert loaded.credentials.aws_secret_access_key.get_secret_value() == SECRET


def test_create_adopts_an_existing_block_and_update_replaces_data_in_one_patch(
    unique: str, requests_made: list[httpx.Request]
) -> None:
    provider = BlockProvider()
    folder = {"type_slug": "local-file-system", "name": f"out-{unique}"}
    first = provider.create(provider.check({}, {**folder, "data": {"basepath": "/a"}}).inputs)
    adopted = provider.create(provider.check({}, {**folder, "data": {"basepath": "/b"}}).inputs)
    assert adopted.id == first.id
    assert provider.read(first.id, first.outs or {}).inputs == {
        **folder,
        "data": {"basepath": "/b"},
    }

    requests_made.clear()
    new = provider.check({}, {**folder, "data": {"basepath": "/c"}}).inputs
    provider.update(first.id, adopted.outs or {}, new)
    assert writes(requests_made) == [f"PATCH /block_documents/{first.id}"]
    assert provider.read(first.id, first.outs or {}).inputs == new


def test_a_block_deleted_outside_pulumi_reads_as_gone_and_delete_still_succeeds(
    unique: str, api: SyncPrefectClient
) -> None:
    provider = BlockProvider()
    created = provider.create(provider.check({}, creds_props(f"creds-{unique}")).inputs)
    api.delete_block_document(uuid.UUID(created.id))
    assert provider.read(created.id, created.outs or {}).id == ""
    provider.delete(created.id, created.outs or {})


def test_an_unregistered_block_type_names_the_slug_and_the_fix(unique: str) -> None:
    provider = BlockProvider()
    props = provider.check({}, {"type_slug": "gcs-bucket-typo", "name": f"x-{unique}"}).inputs
    with pytest.raises(
        PrefectProviderError, match=r"'gcs-bucket-typo' is not registered.*register"
    ):
        provider.create(props)
