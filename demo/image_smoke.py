"""The images workflow's smoke test (.github/workflows/images.yml), run from the CI runner.

The flow image must run a deployment's flow run exactly as an ECS task of the `ecs` pool does
(the pool's `command`, `infra.specs.FLOW_RUN_COMMAND`: Prefect's engine for the run named by
`PREFECT__FLOW_RUN_ID`, code and packages from the image), and
the worker image must carry prefect-aws's `ecs` worker with every job variable the program sets.

    python -m demo.image_smoke deploy              the dev stack's forecast deployment, for the
                                                   flow image, on PREFECT_API_URL + one run of it
                  [--working-directory DIR]        (DIR instead of the image's code directory:
                                                   the same run in a checkout, without Docker)
    python -m demo.image_smoke check FLOW_RUN_ID   the run COMPLETED and wrote its forecast
    python -m demo.image_smoke check-worker FILE   FILE (`prefect work-pool
                                                   get-default-base-job-template --type ecs` in
                                                   the worker image) has the program's variables

`deploy` prepares what `make demo` prepares (sample data and a trained model under `.demo/`,
the same functions) and applies the dev stack's plan with two changes that make it the image's:
flow runs start in the image's working directory, and the model is found by searching its
artifact root (the image's MLflow client has no SQLite tracking store). The workflow mounts
`.demo/` into the flow container at the same absolute path, so every local path in the
deployment (data, model, results block) means the same file inside and outside.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from infra.config import StackConfig
from infra.specs import (
    FLOW_RUN_COMMAND,
    IMAGE_WORKDIR,
    PREDICTION_FLOW,
    SET_WORKING_DIRECTORY,
    EcsPoolFacts,
    PrefectPlan,
    deployment_resource_name,
    ecs_deployment_job_variables,
    ecs_job_variable_defaults,
    local_plan,
)

STACK = "dev"
SERVER_TIMEOUT_S = 180.0
# Parameters a flow run in the image cannot use: the tracking URI is a SQLite file, and the
# image carries MLflow's client only (no SQL store). The artifact-root search finds the model.
RUNNER_ONLY_PARAMETERS = ("tracking_uri",)
# ECS template keys that only prefect-aws' ECS worker declares.
ECS_TEMPLATE_MARKERS = ("task_definition", "task_run_request")


def image_plan(config: StackConfig, working_directory: str = IMAGE_WORKDIR) -> PrefectPlan:
    """The stack's local plan with its deployments made to run in the flow image."""
    plan = local_plan(config)
    deployments = []
    for spec in plan.deployments:
        parameters = {
            key: value
            for key, value in spec["parameters"].items()
            if key not in RUNNER_ONLY_PARAMETERS
        }
        pull_steps = [{SET_WORKING_DIRECTORY: {"directory": working_directory}}]
        deployments.append({**spec, "parameters": parameters, "pull_steps": pull_steps})
    return replace(plan, deployments=deployments)


def program_ecs_variables(config: StackConfig) -> set[str]:
    """Every ECS job variable the program sets: pool defaults, credential secrets, deployments."""
    from infra.aws.secrets import CREDENTIALS

    facts = EcsPoolFacts(
        cluster="cluster",
        vpc_id="vpc",
        subnet_ids=["subnet"],
        security_group_id="sg",
        image="image",
        execution_role_arn="execution-role",
        task_role_arn="task-role",
        log_group="log-group",
        credential_variables={kind.job_variable: "parameter" for kind in CREDENTIALS.values()},
    )
    return set(ecs_job_variable_defaults(config, facts)) | set(
        ecs_deployment_job_variables(config, "image")
    )


def ecs_template_problems(template: Mapping[str, Any], wanted: set[str]) -> list[str]:
    """What makes `template` not prefect-aws' ECS template with the `wanted` variables."""
    problems = []
    job = template.get("job_configuration", {})
    absent_markers = [key for key in ECS_TEMPLATE_MARKERS if key not in job]
    if absent_markers:
        problems.append(
            f"job_configuration lacks {', '.join(absent_markers)}: not prefect-aws' ECS template"
        )
    declared = set(template.get("variables", {}).get("properties", {}))
    missing = sorted(wanted - declared)
    if missing:
        problems.append(
            f"the worker's ECS template does not declare {', '.join(missing)}, which the "
            "program sets on the pool or its deployments: align prefect-aws in "
            "requirements-worker.txt with infra/specs.py"
        )
    return problems


def write_outputs(values: Mapping[str, str], github_output: str | None) -> None:
    """`key=value` lines for later workflow steps ($GITHUB_OUTPUT), echoed to stdout."""
    lines = "".join(f"{key}={value}\n" for key, value in values.items())
    print(lines, end="")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as handle:
            handle.write(lines)


def deploy(working_directory: str = IMAGE_WORKDIR) -> dict[str, str]:
    """Sample data, model, the image's deployment on PREFECT_API_URL and one flow run of it."""
    from prefect.client.orchestration import get_client

    from demo.__main__ import DEMO_DIR, ensure_model, ensure_sample_data, say
    from demo.processes import wait_http_ok
    from infra.local import apply_resources, load_local_config
    from infra.prefect_plan import planned_resources

    api_url = os.environ.get("PREFECT_API_URL")
    if not api_url:
        raise SystemExit("PREFECT_API_URL is not set: point it at the Prefect server to deploy to")
    say(f"waiting for the Prefect server at {api_url}")
    wait_http_ok(f"{api_url.rstrip('/')}/health", SERVER_TIMEOUT_S)

    start, today = ensure_sample_data(date.today())
    run_id = ensure_model(load_local_config(STACK), start, today)
    config = load_local_config(STACK, {"runId": run_id})
    # The flow image runs as its own unprivileged user: it must be able to write the results.
    results = Path(str(config.results_uri))
    results.mkdir(parents=True, exist_ok=True)
    results.chmod(0o777)

    say(f"applying stack {STACK!r} for the flow image (working directory {working_directory})")
    state = apply_resources(
        planned_resources(config, image_plan(config, working_directory)),
        DEMO_DIR / "state-image-smoke.json",
        log=say,
    )
    deployment_id = state[deployment_resource_name(config, PREDICTION_FLOW)]["id"]
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run_from_deployment(deployment_id)
    say(f"flow run {flow_run.name} ({flow_run.id}) created: run it with `{FLOW_RUN_COMMAND}`")
    return {"flow-run-id": str(flow_run.id), "demo-dir": str(DEMO_DIR)}


def check(flow_run_id: str) -> int:
    """0 when the flow run COMPLETED and its forecast CSV is in the results folder."""
    from prefect.client.orchestration import get_client

    from demo.__main__ import print_forecast, say
    from infra.local import load_local_config

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(flow_run_id))
    state = flow_run.state
    if state is None or not state.is_completed():
        name = state.name if state else "no state"
        message = state.message if state else ""
        say(f"flow run {flow_run.name} ended {name}: {message}")
        return 1
    run_id = str(flow_run.parameters["run_id"])
    csv_path = print_forecast(Path(str(load_local_config(STACK).results_uri)), run_id)
    say(f"flow run {flow_run.name} COMPLETED in the flow image and wrote {csv_path}")
    return 0


def check_worker(template_path: Path) -> int:
    """0 when the worker image's ECS template declares every variable the program sets."""
    from demo.__main__ import say
    from infra.local import load_local_config

    template = json.loads(template_path.read_text())
    problems = ecs_template_problems(template, program_ecs_variables(load_local_config(STACK)))
    for problem in problems:
        say(problem)
    if not problems:
        say("the worker image's prefect-aws serves the `ecs` type with every variable we set")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m demo.image_smoke", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    deploy_parser = commands.add_parser(
        "deploy", help="deploy for the flow image and create one flow run"
    )
    deploy_parser.add_argument("--working-directory", default=IMAGE_WORKDIR)
    check_parser = commands.add_parser("check", help="the flow run COMPLETED with its forecast")
    check_parser.add_argument("flow_run_id")
    worker_parser = commands.add_parser("check-worker", help="the worker image's ECS template")
    worker_parser.add_argument("template", type=Path)
    args = parser.parse_args(argv)
    if args.command == "deploy":
        write_outputs(deploy(args.working_directory), os.environ.get("GITHUB_OUTPUT"))
        return 0
    if args.command == "check":
        return check(args.flow_run_id)
    return check_worker(args.template)


if __name__ == "__main__":
    sys.exit(main())
