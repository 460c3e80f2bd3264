"""docs/operations.md: every command it shows names things that exist.

A runbook with a misspelt config key or a stack output that was renamed fails at 3 a.m.; these
tests fail first. Config keys are checked against Pulumi.yaml, outputs against what the real
program exports under mocks, flow parameters against the flow's signature, workflow inputs
against the workflow files.
"""

from __future__ import annotations

import inspect
import re

import pytest
import yaml

from infra.config import PREFECT_KEYS, PROJECT, PROJECT_DIR
from infra.deployment_settings import SHARED_CODE_PATHS
from infra.specs import MONITOR_FLOW, PREDICTION_FLOW
from infra.stack_files import project_schema
from tests.pulumi_harness import run_program
from tests.unit.delivery.stacks import needs_aws_platform

GUIDE = (PROJECT_DIR / "docs" / "operations.md").read_text()
# Keys of other namespaces the guide sets: the AWS provider's region of a new city stack.
PROVIDER_KEYS = {"aws:region"}
CONFIG_COMMAND = re.compile(r"pulumi config (?:set|get|rm)((?:\s+--?[\w-]+)*)\s+([\w:.-]+)")


def config_keys_used() -> set[str]:
    return {match.group(2) for match in CONFIG_COMMAND.finditer(GUIDE)}


def code_blocks() -> str:
    return "\n".join(re.findall(r"```bash\n(.*?)```", GUIDE, flags=re.DOTALL))


def test_the_guide_covers_every_operation_of_the_issue() -> None:
    headings = [h.lower() for h in re.findall(r"^## (.+)$", GUIDE, flags=re.MULTILINE)]
    for topic in (
        "add a city",
        "roll out a new model, and roll back",
        "change the schedule",
        "pause",
        "backfill a past date",
        "rotate the prefect api key",
        "share one platform across cities",
        "read logs",
        "webhooks and the rest api",
        "tear down",
    ):
        assert any(topic in h for h in headings), f"no section about {topic!r}"


def test_every_config_key_in_the_guide_exists() -> None:
    declared = set(project_schema())
    allowed = declared | {f"{PROJECT}:{k}" for k in declared} | set(PREFECT_KEYS) | PROVIDER_KEYS
    used = config_keys_used()
    assert len(used) >= 10, f"the guide sets too few keys to be a runbook: {sorted(used)}"
    unknown = sorted(used - allowed)
    assert unknown == [], f"keys not in Pulumi.yaml (or prefect:/aws:): {unknown}"


def test_secrets_are_only_ever_set_as_secrets() -> None:
    for match in CONFIG_COMMAND.finditer(GUIDE):
        flags, key = match.groups()
        if key in ("prefect:apiKey", "prefect:authString") and " set" in match.group(0):
            assert "--secret" in flags, match.group(0)


@needs_aws_platform
def test_every_stack_output_in_the_guide_is_exported() -> None:
    exported = set(run_program("dev").outputs) | set(run_program("madrid").outputs)
    used = set(re.findall(r"pulumi stack output (\w+)", GUIDE))
    assert used, "the guide reads no stack output"
    assert sorted(used - exported) == []


def test_make_targets_in_the_guide_exist() -> None:
    makefile = (PROJECT_DIR / "Makefile").read_text()
    targets = {
        target
        for line in re.findall(r"^([\w][\w .-]*):", makefile, flags=re.MULTILINE)
        for target in line.split()
    }
    used = set(re.findall(r"\bmake (\w[\w-]*)", code_blocks()))
    assert used and sorted(used - targets) == []


def test_prefect_commands_name_the_deployed_flows_and_their_parameters() -> None:
    flows = pytest.importorskip("flow.flows")
    runs = re.findall(r"prefect deployment (?:run|inspect) ([\w-]+)/[\w-]+", code_blocks())
    assert runs and set(runs) <= {PREDICTION_FLOW, MONITOR_FLOW}
    parameters = set(inspect.signature(flows.covid_prediction.fn).parameters)
    used = set(re.findall(r"--param (\w+)=", code_blocks()))
    assert "as_of" in used, "the backfill passes as_of"
    assert sorted(used - parameters) == []


def test_workflow_commands_match_the_workflows() -> None:
    for name, fields in re.findall(r"gh workflow run ([\w.-]+)((?: -f [\w]+=[\w-]+)+)", GUIDE):
        path = PROJECT_DIR / ".github" / "workflows" / name
        assert path.is_file(), name
        workflow = yaml.safe_load(path.read_text())
        inputs = workflow.get("on", workflow.get(True))["workflow_dispatch"]["inputs"]
        assert set(re.findall(r"-f (\w+)=", fields)) == set(inputs), name


def test_the_path_filters_described_are_the_ones_declared() -> None:
    section = GUIDE.split("## Pulumi Deployments", 1)[1].split("\n## ", 1)[0]
    for path in SHARED_CODE_PATHS:
        shown = path.removesuffix("**")
        assert f"`{shown}`" in section or path.startswith("requirements"), path
    assert "requirements files" in section
