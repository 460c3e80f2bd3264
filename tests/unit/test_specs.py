"""Specs: the same stack config gives the Prefect inputs both `pulumi up` and `make demo` apply."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from infra.config import PROJECT_DIR
from infra.prefect_plan import planned_resources
from infra.specs import (
    IMAGE_WORKDIR,
    MONITOR_ENTRYPOINT,
    PREDICTION_ENTRYPOINT,
    SET_WORKING_DIRECTORY,
    deployment_specs,
    local_plan,
    results_block_spec,
)
from tests.pulumi_harness import load_config


def test_local_plan_is_a_process_pool_a_folder_block_and_the_city_deployment() -> None:
    config = load_config("dev")
    plan = local_plan(config)
    assert plan.work_pool == {
        "name": "covid-forecast-dev",
        "type": "process",
        "job_variable_defaults": {},
        "description": plan.work_pool["description"] if plan.work_pool else None,
    }
    assert plan.results_block is not None
    assert plan.results_block["type_slug"] == "local-file-system"
    assert plan.results_block["data"] == {"basepath": str(PROJECT_DIR / ".demo/results")}
    [deployment] = plan.deployments
    assert (deployment["flow_name"], deployment["name"]) == ("covid-prediction", "madrid")
    assert deployment["entrypoint"] == PREDICTION_ENTRYPOINT
    assert deployment["work_pool_name"] == "covid-forecast-dev"
    assert deployment["schedule"] == {
        "cron": "0 6 * * *",
        "timezone": "Europe/Madrid",
        "active": True,
    }
    assert (
        deployment["parameters"]["results_block"] == "local-file-system/covid-forecast-dev-results"
    )
    assert deployment["pull_steps"] == [{SET_WORKING_DIRECTORY: {"directory": str(PROJECT_DIR)}}]


def test_aws_deployments_run_in_the_image_workdir_with_the_stack_parameters() -> None:
    config = load_config("madrid")
    specs = deployment_specs(
        config, "covid-forecast-madrid", "s3-bucket/covid-forecast-madrid-results"
    )
    assert [(s["flow_name"], s["entrypoint"]) for s in specs] == [
        ("covid-prediction", PREDICTION_ENTRYPOINT),
        ("monitor", MONITOR_ENTRYPOINT),  # Pulumi.madrid.yaml sets monitorSchedule
    ]
    prediction, monitor = specs
    assert prediction["pull_steps"] == [{SET_WORKING_DIRECTORY: {"directory": IMAGE_WORKDIR}}]
    assert prediction["parameters"] == {
        "source": "jhu-daily",
        "prov_st": "Madrid",
        "country": "Spain",
        "run_id": config.run_id,
        "artifact_root": "s3://covid-forecast-mlflow-eu-west-1/artifacts",
        "data_url": config.data_url,
        "results_block": "s3-bucket/covid-forecast-madrid-results",
    }
    assert monitor["schedule"]["cron"] == "0 7 * * 1"


def test_a_covidhub_stack_deploys_a_weekly_hub_forecast_of_its_location() -> None:
    config = load_config("california")
    prediction, monitor = deployment_specs(config, "pool", "s3-bucket/covid-forecast-california")
    assert prediction["name"] == "california"
    assert prediction["parameters"]["source"] == monitor["parameters"]["source"] == "covidhub"
    assert prediction["parameters"]["prov_st"] == "California"
    assert "country" not in prediction["parameters"]
    assert prediction["description"] == (
        "Weekly COVID-19 hospital admissions forecast for California: CDC Forecast Hub format "
        "(23 quantiles, horizons -1..3) and a fan chart"
    )
    assert "relative to the hub's flat baseline" in monitor["description"]
    everywhere = deployment_specs(load_config("california", {"city": "all"}), "p", "b/c")[0]
    assert "for every hub location" in everywhere["description"]
    assert everywhere["name"] == "all"


def test_a_run_id_change_touches_only_deployment_parameters() -> None:
    before = planned_resources(load_config("dev"), local_plan(load_config("dev")))
    new_id = "f" * 32
    config = load_config("dev", {"runId": new_id})
    after = planned_resources(config, local_plan(config))
    changed = [
        (b.name, k)
        for b, a in zip(before, after, strict=True)
        for k in b.props
        if b.props[k] != a.props[k]
    ]
    assert changed == [("covid-forecast-dev-covid-prediction", "parameters")]
    [deployment] = [r for r in after if r.kind == "Deployment"]
    assert deployment.props["parameters"]["run_id"] == new_id


def test_an_s3_results_uri_gives_an_s3_bucket_block() -> None:
    config = load_config("dev", {"resultsUri": "s3://covid-results/forecasts"})
    assert results_block_spec(config)["data"] == {
        "bucket_name": "covid-results",
        "bucket_folder": "forecasts",
    }


def test_resource_names_are_per_stack_so_stacks_never_share_objects() -> None:
    names = {r.name for r in planned_resources(load_config("dev"), local_plan(load_config("dev")))}
    assert names == {
        "covid-forecast-dev-pool",
        "covid-forecast-dev-results",
        "covid-forecast-dev-covid-prediction",
        "covid-forecast-dev-forecast-stuck",
    }


def _flow_parameters(entrypoint: str) -> set[str]:
    import flow.flows

    function: Any = getattr(flow.flows, entrypoint.split(":")[1])
    return set(inspect.signature(getattr(function, "fn", function)).parameters)


@pytest.mark.parametrize("entrypoint", [PREDICTION_ENTRYPOINT, MONITOR_ENTRYPOINT])
def test_every_deployment_parameter_is_a_parameter_of_the_flow(entrypoint: str) -> None:
    config = load_config("madrid")
    spec = next(
        s for s in deployment_specs(config, "pool", "s3-bucket/x") if s["entrypoint"] == entrypoint
    )
    assert set(spec["parameters"]) <= _flow_parameters(entrypoint)
    assert (PROJECT_DIR / entrypoint.split(":")[0]).exists()
