"""The `dev` stack under the Pulumi engine (mocks): only Prefect objects, from the shared specs."""

from __future__ import annotations

from infra.prefect.base import canonical
from infra.prefect_plan import planned_resources, resolve_props
from infra.specs import local_plan
from tests.pulumi_harness import load_config, run_program


def test_dev_stack_declares_the_local_plan_and_no_aws_resource() -> None:
    run = run_program("dev")
    assert {r.type_.split(":")[0] for r in run.resources} == {"pulumi-python"}
    registered = {r.name: r for r in run.resources}
    for planned in planned_resources(load_config("dev"), local_plan(load_config("dev"))):
        resource = registered[planned.name]
        assert resource.type_ == f"pulumi-python:dynamic/prefect:{planned.kind}"
        inputs = {k: v for k, v in resource.inputs.items() if k != "__provider"}
        # Under mocks a resource's id is `<name>-id`; the engine sends numbers as floats.
        expected = resolve_props(
            planned.props, lambda ref: f"{ref.prefix}{ref.resource}-id", lambda s: s.value
        )
        assert canonical({k: inputs[k] for k in planned.props}) == canonical(expected)
    assert run.outputs["deploymentName"] == "covid-prediction/madrid"
    assert run.outputs["workPool"] == "covid-forecast-dev"
