"""Reliability: bad inputs and the real errors they give; injected faults and their outcome;
the secret-leak scan; IAM wildcards.

Every message in the table is produced by calling the code in this run (config validation,
providers' `check()`, a provider against a dead or failing API). Outcomes of fault injection
(server down, 5xx, out-of-band edit and delete), the leak scan and the IAM checks also come
from running the tests that inject them (pytest in a subprocess, read from its JUnit XML).
The leak scan and the IAM counts are also done here, on the program run under mocks.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key

from bench.counting_proxy import counting_proxy
from bench.measure import seconds, stopwatch
from bench.program_mocks import ProgramRun, run_program
from bench.report import table
from demo.processes import free_port
from flow.reports import read_regions
from flow.sample import sample_reports
from flow.sources import DEFAULT_URLS, SourceDataError, read_covidhub
from infra.aws.iam import WILDCARD_RESOURCE_ACTIONS, as_list, statements_of
from infra.config import PROJECT_DIR, ConfigError, build_stack_config, parse_config_value
from infra.prefect.automation import AutomationProvider
from infra.prefect.base import PrefectProvider
from infra.prefect.block import BlockProvider
from infra.prefect.client import RetryPolicy, record_requests
from infra.prefect.deployment import DeploymentProvider
from infra.prefect.work_pool import WorkPoolProvider
from infra.stack_files import project_values, stack_config_values

CANARY_KEY = "pnu_BENCHCANARY0123456789abcdefghijklmno"
CANARY_AUTH = "admin:BENCH-CANARY-auth-0123456789"
PLATFORM = "acme/covid-forecast/madrid"

_CLOUD = {"apiUrl": "https://api.prefect.cloud/api/accounts/a/workspaces/w"}


@dataclass(frozen=True)
class BadConfig:
    """One mistake on an otherwise valid stack: the changed keys, the `prefect:` namespace the
    program would see, the key whose error the table shows, and how to show its value."""

    changes: dict[str, Any]
    key: str
    prefect: dict[str, Any] = field(default_factory=lambda: dict(_CLOUD))
    stack: str = "madrid"
    shown: str | None = None

    @property
    def value(self) -> str:
        """The bad value as the table shows it (secrets never, only how they are set)."""
        return self.shown if self.shown is not None else repr(self.changes.get(self.key))


BAD_CONFIG: list[BadConfig] = [
    BadConfig({"platform": "gcp"}, "platform"),
    BadConfig({"city": " "}, "city"),
    BadConfig({"runId": "latest"}, "runId"),
    BadConfig({"scheduleCron": "0 25 * * *"}, "scheduleCron"),
    BadConfig({"scheduleTimezone": "Europe/Madird"}, "scheduleTimezone"),
    BadConfig({"monitorSchedule": "mondays"}, "monitorSchedule"),
    BadConfig({"workerMemory": "4096"}, "workerMemory"),
    BadConfig({"flowCpu": "300"}, "flowCpu"),
    BadConfig({"flowCpu": "a lot"}, "flowCpu"),
    BadConfig({"modelArtifactsUri": "s3://Bad_Bucket/models"}, "modelArtifactsUri"),
    BadConfig({"modelArtifactsUri": ""}, "modelArtifactsUri"),
    BadConfig({"resultsUri": "https://example.org/results"}, "resultsUri"),
    BadConfig({"imageUri": "not an image!"}, "imageUri"),
    BadConfig({"dataUrl": "https://example.org/{day}.csv"}, "dataUrl"),
    BadConfig({"dataUrl": "https://example.org/latest.csv"}, "dataUrl"),
    BadConfig({"workPoolName": "city/pool"}, "workPoolName"),
    BadConfig({"logRetentionDays": "0"}, "logRetentionDays"),
    BadConfig({"deploymentsRepo": "not a repo"}, "deploymentsRepo"),
    BadConfig({"deploymentsRoleArn": "admin"}, "deploymentsRoleArn"),
    BadConfig({"scheduleCorn": "0 6 * * *"}, "scheduleCorn"),
    BadConfig(
        {},
        "prefect:apikey",
        prefect={**_CLOUD, "undeclared": ["apikey"]},
        shown="set (with --secret or not)",
    ),
    BadConfig({"alertEmail": "oncall"}, "alertEmail"),
    BadConfig({"alertEmail": "oncall@example.org"}, "alertEmail", prefect={}, stack="dev"),
    BadConfig({"driftSchedule": "daily"}, "driftSchedule"),
    BadConfig({"driftAutoRemediate": "true", "driftSchedule": ""}, "driftAutoRemediate"),
    BadConfig({}, "prefect:apiUrl", prefect={}, shown="unset"),
    BadConfig(
        {},
        "prefect:apiKey",
        prefect={**_CLOUD, "apiKey": True, "apiKeyIsSecret": False},
        shown="set without --secret",
    ),
    BadConfig(
        {},
        "prefect:authString",
        prefect={**_CLOUD, "apiKey": True, "authString": True},
        shown="set, and prefect:apiKey too",
    ),
    BadConfig({"platformStack": PLATFORM, "resultsUri": "s3://mine/results"}, "resultsUri"),
    BadConfig({"platformStack": PLATFORM}, "platformStack", prefect={}, stack="dev"),
    BadConfig(
        {"alertWebhookUrl": "hooks.slack.com/services/T0/B0/x"},
        "alertWebhookUrl",
        shown="not an http(s) URL",
    ),
    BadConfig(
        {"alertWebhookUrl": "https://hooks.slack.com/services/T0/B0/x"},
        "alertWebhookUrl",
        shown="set without --secret",
    ),
    BadConfig({"stuckAfterMinutes": "-5"}, "stuckAfterMinutes"),
    BadConfig({"concurrencyLimit": "-1"}, "concurrencyLimit"),
    BadConfig({"collisionStrategy": "DROP"}, "collisionStrategy"),
]

_DEPLOYMENT: dict[str, Any] = {
    "flow_name": "covid-prediction",
    "name": "madrid",
    "entrypoint": "flow/flows.py:covid_prediction",
    "work_pool_name": "pool",
    "parameters": {"run_id": "a" * 32},
    "schedule": {"cron": "0 6 * * *", "timezone": "Europe/Madrid", "active": True},
}
_POOL: dict[str, Any] = {"name": "pool", "type": "process"}
_BLOCK: dict[str, Any] = {"type_slug": "s3-bucket", "name": "results", "data": {}}
_AUTOMATION: dict[str, Any] = {
    "name": "covid-forecast-madrid-forecast-stuck",
    "trigger": {"posture": "Proactive", "after": ["prefect.flow-run.Running"], "within": 3600},
    "actions": [{"type": "cancel-flow-run"}],
}
BAD_CHECKS: list[tuple[type[PrefectProvider], dict[str, Any], dict[str, Any]]] = [
    (DeploymentProvider, _DEPLOYMENT, {"schedule": {"cron": "61 * * * *"}}),
    (DeploymentProvider, _DEPLOYMENT, {"schedule": {"cron": "0 6 * * *", "timezone": "Mars"}}),
    (DeploymentProvider, _DEPLOYMENT, {"schedule": {"cron": "0 6 * * *", "active": "yes"}}),
    (DeploymentProvider, _DEPLOYMENT, {"name": ""}),
    (DeploymentProvider, _DEPLOYMENT, {"name": "madrid/city"}),
    (DeploymentProvider, _DEPLOYMENT, {"parameters": {"when": {1, 2}}}),
    (DeploymentProvider, _DEPLOYMENT, {"parameters": {"x": float("nan")}}),
    (DeploymentProvider, _DEPLOYMENT, {"tags": "covid"}),
    (DeploymentProvider, _DEPLOYMENT, {"pull_steps": ["cd /opt"]}),
    (DeploymentProvider, _DEPLOYMENT, {"concurrency_limit": -1}),
    (DeploymentProvider, _DEPLOYMENT, {"work_pool_type": "process", "job_variables": {"cpu": 1}}),
    (DeploymentProvider, _DEPLOYMENT, {"work_pool": "typo"}),
    (WorkPoolProvider, _POOL, {"type": "kubernetes-ish"}),
    (WorkPoolProvider, _POOL, {"job_variable_defaults": {"subnets": ["s-1"]}}),
    (WorkPoolProvider, _POOL, {"concurrency_limit": 1.5}),
    (BlockProvider, _BLOCK, {"name": "Bad Name"}),
    (BlockProvider, _BLOCK, {"data": "bucket=b"}),
    (DeploymentProvider, _DEPLOYMENT, {"concurrency_options": {"collision_strategy": "DROP"}}),
    (AutomationProvider, _AUTOMATION, {"trigger": {**_AUTOMATION["trigger"], "within": 5}}),
    (AutomationProvider, _AUTOMATION, {"trigger": {**_AUTOMATION["trigger"], "expct": []}}),
    (AutomationProvider, _AUTOMATION, {"actions": [{"type": "send-notifcation"}]}),
    (AutomationProvider, _AUTOMATION, {"actions": [{"type": "send-notification", "body": "b"}]}),
]

# What each test injects or scans -> its node id.
FAULT_TESTS = {
    "Prefect server down (connection refused)": "tests/integration/prefect/test_faults.py::"
    "test_server_down_gives_bounded_retries_then_an_error_naming_resource_operation_url",
    "server down during read and delete": "tests/integration/prefect/test_faults.py::"
    "test_every_operation_reports_itself_when_the_server_is_down",
    "HTTP 503 twice, then success": "tests/integration/prefect/test_faults.py::"
    "test_a_transient_503_then_success_does_not_fail_the_operation",
    "HTTP 500 on every attempt": "tests/integration/prefect/test_faults.py::"
    "test_a_500_that_persists_is_reported_after_the_same_bounded_attempts",
    "deployment edited, then deleted outside Pulumi": "tests/integration/prefect/"
    "test_deployment.py::test_out_of_band_edits_and_deletion_show_in_read_and_delete_is_"
    "idempotent",
    "work pool edited, then deleted outside Pulumi": "tests/integration/prefect/"
    "test_work_pool.py::test_out_of_band_edits_and_deletion_show_in_read_and_delete_is_idempotent",
    "block deleted outside Pulumi": "tests/integration/prefect/test_block.py::"
    "test_a_block_deleted_outside_pulumi_reads_as_gone_and_delete_still_succeeds",
    "schedules added outside Pulumi": "tests/integration/prefect/test_deployment.py::"
    "test_schedules_added_outside_pulumi_are_left_alone",
    "secret leak scan (canary API key, program under mocks)": "tests/unit/aws/"
    "test_aws_program.py::test_the_api_key_appears_in_plaintext_nowhere",
    "plaintext API key in stack config": "tests/unit/test_config.py::"
    "test_a_plaintext_api_key_is_refused_without_echoing_it",
    "IAM: no Action *, Resource * only for allow-listed actions": "tests/unit/aws/"
    "test_aws_program.py::test_iam_no_action_star_and_every_resource_star_is_allow_listed",
}
# Whole files whose every test feeds a bad input (counted as passed / run).
BAD_INPUT_TEST_FILES = ("tests/unit/test_config.py", "tests/unit/prefect/test_check.py")


# Bad source data: what each source reader does with a malformed file, as a new user would feed
# it (the JHU rows are issue 16's table). Built from generated data (flow.sample); the file
# names are where a stack would read them.
_JHU_NAME = "s3://covid-data/jhu/01-02-2021.csv"
_HUB_NAME = DEFAULT_URLS["covidhub"]
_HUB_HEAD = "state,target_end_date,value,location\n"


def _jhu_report() -> tuple[str, list[str]]:
    """A generated JHU report's header line and data lines (Madrid first)."""
    text = sample_reports(date(2021, 1, 2), date(2021, 1, 2))[date(2021, 1, 2)]
    header, *rows = text.splitlines(keepends=True)
    return header, rows


def _with_cell(row: str, index: int, value: str) -> str:
    cells = row.rstrip("\n").split(",")
    return ",".join([*cells[:index], value, *cells[index + 1 :]]) + "\n"


def _without_cell(row: str, index: int) -> str:
    cells = row.rstrip("\n").split(",")
    return ",".join([*cells[:index], *cells[index + 1 :]]) + "\n"


def bad_source_inputs() -> list[tuple[str, str, bytes]]:
    """(source, what was tried, the file's bytes) for every bad-source-data case."""
    header, rows = _jhu_report()
    madrid = rows[0]
    confirmed, deaths = header.split(",").index("Confirmed"), header.split(",").index("Deaths")
    hub_row = "CA,2026-03-21,{value},06\n"
    html = b"<!DOCTYPE html>\n<html><body><h1>404: Not Found</h1></body></html>\n"
    return [
        ("jhu-daily", "an HTML error page", html),
        (
            "jhu-daily",
            "a missing `Deaths` column",
            "".join(_without_cell(line, deaths) for line in [header, *rows]).encode(),
        ),
        ("jhu-daily", "an empty file", b""),
        ("jhu-daily", "binary garbage", bytes(range(256)) * 8),
        ("jhu-daily", "a header with no rows", header.encode()),
        (
            "jhu-daily",
            "`Confirmed` = `ten`",
            (header + _with_cell(madrid, confirmed, "ten")).encode(),
        ),
        (
            "jhu-daily",
            "`Confirmed` = `-5`",
            (header + _with_cell(madrid, confirmed, "-5")).encode(),
        ),
        (
            "jhu-daily",
            "a row cut short (no `Deaths` value)",
            (header + ",".join(madrid.split(",")[: confirmed + 1]) + "\n").encode(),
        ),
        ("jhu-daily", "the same province twice", (header + madrid + madrid).encode()),
        ("covidhub", "an HTML page", html),
        ("covidhub", "an empty file", b""),
        ("covidhub", "binary (a PNG)", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("covidhub", "an unknown header", b"location,week,count\n06,2026-03-21,410\n"),
        ("covidhub", "a non-numeric value", (_HUB_HEAD + hub_row.format(value="n/a")).encode()),
        ("covidhub", "a negative value", (_HUB_HEAD + hub_row.format(value="-3")).encode()),
        (
            "covidhub",
            "a non-Saturday date",
            (_HUB_HEAD + "CA,2026-03-22,410,06\n").encode(),
        ),
        ("covidhub", "an unparseable date", (_HUB_HEAD + "CA,03/21/2026,410,06\n").encode()),
        ("covidhub", "a duplicate week", (_HUB_HEAD + hub_row.format(value="410") * 2).encode()),
        (
            "covidhub",
            "an HHS region row",
            (_HUB_HEAD + "Region 1,2026-03-21,40,Region 1\n").encode(),
        ),
        (
            "covidhub",
            "all of: a non-numeric value, a Sunday, an unknown location",
            (
                _HUB_HEAD
                + hub_row.format(value="ten")
                + "CA,2026-03-22,4,06\n"
                + "XX,2026-03-28,4,99\n"
            ).encode(),
        ),
    ]


def source_data_messages() -> list[dict[str, Any]]:
    """Each bad source file fed to its reader (`flow.reports.read_regions`, the JHU seed path;
    `flow.sources.read_covidhub`): the error type and message, or None when accepted."""
    rows: list[dict[str, Any]] = []
    for source, tried, content in bad_source_inputs():
        message: str | None
        try:
            if source == "covidhub":
                read_covidhub(content, _HUB_NAME)
            else:
                read_regions(content, _JHU_NAME)
        except SourceDataError as error:
            kind, message = type(error).__name__, str(error)
        except Exception as error:  # the table must show any other error too
            kind, message = f"**{type(error).__name__}**", str(error)
        else:
            kind, message = "", None
        rows.append({"source": source, "input": tried, "error": kind, "message": message})
    return rows


def source_data_section(rows: list[dict[str, Any]]) -> list[str]:
    """The "Bad source data" section of docs/benchmarks.md."""
    refused = sum(1 for row in rows if row["error"] in ("SourceDataError", "ReportFormatError"))
    body = [
        [
            row["source"],
            row["input"],
            f"`{row['error']}`" if row["error"] else "**accepted**",
            row["message"].replace("\n", "<br>") if row["message"] else "",
        ]
        for row in rows
    ]
    return [
        "### Bad source data",
        "",
        "Each malformed file fed to its reader (`flow.reports.read_regions`, the JHU seed path, "
        f"named `{_JHU_NAME}`; `flow.sources.read_covidhub`, named by its URL) and the error it "
        f"raised in this run: {refused}/{len(rows)} refused with a `SourceDataError` "
        "(`ReportFormatError` is one) naming the file.",
        "",
        *table(["source", "input", "error", "message shown"], body),
    ]


def _stack_values(stack: str) -> dict[str, Any]:
    values = project_values(stack_config_values(stack))
    return {key: parse_config_value(key, value) for key, value in values.items()}


def config_messages() -> list[dict[str, Any]]:
    """Each bad config case with the message `pulumi preview` shows for its key."""
    rows = []
    for case in BAD_CONFIG:
        raw = {**_stack_values(case.stack), **case.changes}
        try:
            build_stack_config(case.stack, raw, case.prefect)
        except ConfigError as error:
            message = next((p.allowed for p in error.problems if p.key == case.key), None)
        else:
            message = None
        rows.append({"stack": case.stack, "key": case.key, "value": case.value, "error": message})
    return rows


def all_at_once() -> dict[str, int]:
    """Single-key mistakes on madrid, one per key, in one config: how many problems the one
    error lists (every bad key, or more when a key breaks a cross-key rule too)."""
    changes: dict[str, Any] = {}
    for case in BAD_CONFIG:
        # An unknown platform would hide the aws-only checks; other keys may repeat.
        single = case.stack == "madrid" and case.prefect == _CLOUD and len(case.changes) == 1
        if single and case.key not in changes | {"platform": 0}:
            changes.update(case.changes)
    try:
        build_stack_config("madrid", {**_stack_values("madrid"), **changes}, _CLOUD)
    except ConfigError as error:
        return {"bad_keys": len(changes), "problems_reported": len(error.problems)}
    return {"bad_keys": len(changes), "problems_reported": 0}


def no_resource_before_config_error() -> int:
    """Resources the program registers before refusing a bad config (run under mocks)."""
    run = ProgramRun()
    try:
        run_program("madrid", overrides={"scheduleCron": "0 25 * * *"}, run=run)
    except ConfigError:
        return len(run.resources)
    raise AssertionError("the program accepted scheduleCron '0 25 * * *'")


def check_messages() -> dict[str, Any]:
    """Each bad provider input with its CheckFailure(s), and the requests `check()` made."""
    rows = []
    with record_requests() as seen:
        for provider, good, change in BAD_CHECKS:
            failures = provider().check({}, {**good, **change}).failures
            found: list[tuple[str, str | None]] = [(f.property, f.reason) for f in failures]
            rows += [
                {"resource": provider.kind, "input": repr(change), "property": p, "reason": r}
                for p, r in found or [("-", None)]
            ]
    return {"rows": rows, "requests": len(seen)}


def _provider_at(url: str, calls: list[float]) -> WorkPoolProvider:
    """A work pool provider configured like a stack with an API key, retrying without waiting."""
    from pulumi.dynamic import Config, ConfigureRequest

    provider = WorkPoolProvider()
    provider.configure(
        ConfigureRequest(Config({"prefect:apiUrl": url, "prefect:apiKey": CANARY_KEY}, "bench"))
    )
    provider.retry_policy = RetryPolicy(attempts=4, base_delay_s=0.5, sleep=calls.append)
    return provider


def _failed_create(url: str) -> dict[str, Any]:
    """Create a work pool against `url`; the error, attempts and the waits asked for."""
    props = WorkPoolProvider().check({}, {"name": "covid-pool", "type": "process"}).inputs
    waits: list[float] = []
    message = None
    with stopwatch() as elapsed:
        try:
            _provider_at(url, waits).create(props)
        except Exception as exc:
            message = str(exc)
    return {
        "message": message,
        "attempts": len(waits) + 1,
        "waits": waits,
        "seconds": elapsed[0],
        "key_in_message": message is not None and CANARY_KEY in message,
    }


def fault_messages() -> list[dict[str, Any]]:
    """The error a user sees when the Prefect API is down, or answers 500 every time."""
    dead = f"http://127.0.0.1:{free_port()}/api"
    outcomes = [{"fault": "connection refused", **_failed_create(dead)}]
    with counting_proxy(dead) as (proxy_url, log):
        log.fail_next(100, 500)
        outcomes.append({"fault": "HTTP 500 on every attempt", **_failed_create(proxy_url)})
    return outcomes


def _plaintext(value: Any) -> Iterator[str]:
    """Every string in `value` outside a Pulumi secret wrapper."""
    if isinstance(value, Mapping) and value.get(_special_sig_key) == _special_secret_sig:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _plaintext(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _plaintext(item)


def leak_scan() -> dict[str, Any]:
    """Run madrid under mocks with canary credentials; where either appears in plaintext."""
    scanned = {"resources": 0, "strings": 0, "provider_pickles": 0, "outputs": 0}
    places: list[str] = []
    for secret_key, canary in (("prefect:apiKey", CANARY_KEY), ("prefect:authString", CANARY_AUTH)):
        run = run_program("madrid", secrets={secret_key: canary})
        for res in run.resources:
            scanned["resources"] += 1
            strings = list(_plaintext({k: v for k, v in res.inputs.items() if k != "__provider"}))
            scanned["strings"] += len(strings)
            if any(canary in s for s in strings):
                places.append(f"inputs of {res.type_} {res.name}")
            provider = res.inputs.get("__provider")
            if provider is not None:
                scanned["provider_pickles"] += 1
                encoded = provider["value"] if isinstance(provider, Mapping) else provider
                if canary.encode() in base64.b64decode(encoded):
                    places.append(f"serialized provider of {res.name}")
        scanned["outputs"] += len(run.outputs)
        places += [f"output {k}" for k, v in run.outputs.items() if canary in json.dumps(v)]
    return {"scanned": scanned, "leaks": places}


def iam_counts() -> dict[str, Any]:
    """Statements of the policies registered under mocks; `*` actions and resources."""
    run = run_program("madrid")
    statements = [
        statement
        for policy in run.of_type("aws:iam/rolePolicy:RolePolicy")
        for statement in statements_of(json.loads(policy.inputs["policy"]))
    ]
    star_actions = sorted(
        {
            action
            for s in statements
            for action in as_list(s.get("Action", []))
            if action == "*" or action.endswith(":*")
        }
    )
    wildcard = sorted(
        {
            action
            for s in statements
            if "*" in as_list(s.get("Resource", []))
            for action in as_list(s["Action"])
        }
    )
    return {
        "policies": len(run.of_type("aws:iam/rolePolicy:RolePolicy")),
        "statements": len(statements),
        "star_actions": star_actions,
        "resource_star_actions": wildcard,
        "allow_listed": sorted(WILDCARD_RESOURCE_ACTIONS),
    }


def run_tests(workdir: Path) -> dict[str, Any]:
    """Run the fault, leak and IAM tests and the bad-input test files; outcome per test."""
    report = workdir / "reliability.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_"))}
    with stopwatch() as elapsed:
        subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
                *(f"--junitxml={report}", *FAULT_TESTS.values(), *BAD_INPUT_TEST_FILES),
            ],
            cwd=PROJECT_DIR,
            env=env,
            check=False,
            capture_output=True,
        )
    outcomes: dict[str, str] = {}
    # The JUnit XML is the file pytest just wrote for us, not untrusted input.
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
        node = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcomes[node] = "failed" if failed else "skipped" if skipped else "passed"
    files = {
        path: [o for node, o in outcomes.items() if node.startswith(path + "::")]
        for path in BAD_INPUT_TEST_FILES
    }
    return {
        "seconds": elapsed[0],
        "faults": {label: outcomes.get(node, "not run") for label, node in FAULT_TESTS.items()},
        "bad_input_files": {
            path: {"passed": found.count("passed"), "run": len(found)}
            for path, found in files.items()
        },
    }


def run(workdir: Path) -> dict[str, Any]:
    """Every reliability figure."""
    return {
        "config": config_messages(),
        "config_all_at_once": all_at_once(),
        "resources_before_config_error": no_resource_before_config_error(),
        "checks": check_messages(),
        "source_data": source_data_messages(),
        "faults": fault_messages(),
        "leaks": leak_scan(),
        "iam": iam_counts(),
        "tests": run_tests(workdir),
    }


def lines(result: dict[str, Any]) -> list[str]:
    """Printable summary with the figures a reviewer checks first."""
    config, checks, tests = result["config"], result["checks"], result["tests"]
    refused = sum(1 for row in config if row["error"])
    every = result["config_all_at_once"]
    passed = sum(1 for outcome in tests["faults"].values() if outcome == "passed")
    leaks, iam = result["leaks"], result["iam"]
    source_data = result.get("source_data", [])
    out = [
        f"bad config values refused: {refused}/{len(config)}; all {every['bad_keys']} at once -> "
        f"one error listing {every['problems_reported']} problems; resources registered before "
        f"the error: {result['resources_before_config_error']}",
        f"bad provider inputs refused by check(): "
        f"{sum(1 for r in checks['rows'] if r['reason'])}/{len(BAD_CHECKS)} "
        f"with {checks['requests']} HTTP requests",
        f"bad source data refused with SourceDataError: "
        f"{sum(1 for r in source_data if r['message'] and '*' not in r['error'])}"
        f"/{len(source_data)}",
    ]
    for fault in result["faults"]:
        out.append(
            f"{fault['fault']}: {fault['attempts']} attempts in {seconds(fault['seconds'])} "
            f"(waits {fault['waits']}), key in message: {fault['key_in_message']}"
        )
    out += [
        f"fault / leak / IAM tests passed: {passed}/{len(tests['faults'])}; bad-input tests "
        + ", ".join(f"{p}: {c['passed']}/{c['run']}" for p, c in tests["bad_input_files"].items())
        + f" ({seconds(tests['seconds'])})",
        f"secret-leak scan: {leaks['scanned']['strings']} plaintext strings of "
        f"{leaks['scanned']['resources']} resources, {leaks['scanned']['provider_pickles']} "
        f"serialized providers, {leaks['scanned']['outputs']} outputs -> {len(leaks['leaks'])} "
        "leaks",
        f"IAM: {iam['statements']} statements in {iam['policies']} policies; Action '*': "
        f"{len(iam['star_actions'])}; Resource '*': {len(iam['resource_star_actions'])} actions "
        f"(allow-list: {len(iam['allow_listed'])})",
    ]
    return out
