"""`pulumi destroy` can delete everything a stack declares, in an order that leaves nothing behind.

The real program runs under mocks; the engine log shows what `destroy` would be allowed to do:
no resource is protected or retained, the resources AWS refuses to delete while non-empty carry
the flag that empties them, and dependencies make destroy delete dependents first.

That the Prefect objects' delete() works against a real server, and is idempotent, is proven
by the provider's integration tests, not repeated here: tests/integration/prefect/
test_work_pool.py, test_block.py and test_deployment.py (`..._delete_is_idempotent...`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.pulumi_harness import ProgramRun, run_program
from tests.unit.delivery.engine import EngineLog, Registration
from tests.unit.delivery.stacks import STACKS, needs_aws_platform

WORK_POOL = "pulumi-python:dynamic/prefect:WorkPool"
BLOCK = "pulumi-python:dynamic/prefect:Block"
DEPLOYMENT = "pulumi-python:dynamic/prefect:Deployment"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ECS_SERVICE = "aws:ecs/service:Service"
# Deployment settings are part of the stack too: configure them so their teardown is covered.
WITH_DEPLOYMENTS = {"deploymentsRepo": "acme/covid-forecast"}


def run_stack(stack: str, **overrides: Any) -> ProgramRun:
    return run_program(stack, overrides={**WITH_DEPLOYMENTS, **overrides})


@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_is_protected_or_retained(stack: str, engine_log: EngineLog) -> None:
    run_stack(stack)
    assert engine_log.registrations
    kept = [r.name for r in engine_log.registrations if r.protect or r.retain_on_delete]
    assert kept == [], f"pulumi destroy would refuse to delete, or leave behind: {kept}"


@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_skips_destroy(stack: str, engine_log: EngineLog) -> None:
    run = run_stack(stack)
    # e.g. aws.cloudwatch.LogGroup(skip_destroy=True) survives `pulumi destroy` silently.
    skipping = [r.name for r in run.resources if r.inputs.get("skipDestroy") is True]
    assert skipping == []


@pytest.mark.parametrize("stack", STACKS)
def test_deployments_are_deleted_before_their_pool_and_block(
    stack: str, engine_log: EngineLog
) -> None:
    run_stack(stack)
    deployments = engine_log.of_type(DEPLOYMENT)
    owned: list[Registration] = engine_log.of_type(WORK_POOL) + engine_log.of_type(BLOCK)
    assert deployments and owned
    for deployment in deployments:
        for resource in owned:
            assert engine_log.depends_on(deployment, resource), (
                f"{deployment.name} does not depend on {resource.name}: destroy could delete "
                "the pool or block first and leave a deployment pointing at nothing"
            )


@needs_aws_platform
def test_ecr_repository_deletes_its_images(engine_log: EngineLog) -> None:
    run = run_stack("madrid")
    repositories = run.of_type(ECR_REPOSITORY)
    assert repositories, "madrid builds its image, so it owns an ECR repository"
    for repository in repositories:
        # AWS refuses to delete a repository that still holds images unless forced.
        assert repository.inputs.get("forceDelete") is True, repository.name


@needs_aws_platform
@pytest.mark.parametrize("force_destroy", [True, False])
def test_results_bucket_is_emptied_on_destroy_only_when_configured(
    force_destroy: bool, engine_log: EngineLog
) -> None:
    run = run_stack("madrid", resultsForceDestroy=force_destroy)
    buckets = [r for t in BUCKETS for r in run.of_type(t)]
    assert len(buckets) == 1, "madrid has no resultsUri, so the stack creates its bucket"
    assert bool(buckets[0].inputs.get("forceDestroy")) is force_destroy


@needs_aws_platform
def test_a_given_results_location_is_never_created_or_deleted(engine_log: EngineLog) -> None:
    run = run_stack("madrid", resultsUri="s3://team-forecasts/madrid")
    assert [r for t in BUCKETS for r in run.of_type(t)] == []


@needs_aws_platform
def test_worker_stops_before_its_work_pool_is_deleted(engine_log: EngineLog) -> None:
    run_stack("madrid")
    services, pools = engine_log.of_type(ECS_SERVICE), engine_log.of_type(WORK_POOL)
    assert services and pools
    for service in services:
        for pool in pools:
            # A running worker re-creates a work pool deleted under it (FACTS.md), which would
            # leave the pool behind after destroy. Depending on the pool makes destroy stop the
            # worker service first.
            assert engine_log.depends_on(service, pool), f"{service.name} -> {pool.name}"
