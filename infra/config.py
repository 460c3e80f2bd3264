"""The stack's configuration: one frozen, typed, validated `StackConfig`.

Everything a stack can get wrong is checked here, before any resource is declared, and every
problem is reported in one `ConfigError` that names the key, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

# The one exception to "infra never imports flow": flow.locations is standard-library only, and
# checking a covidhub `city` at preview needs the hub's own location table.
from flow.locations import UnknownLocationError, resolve_location

PROJECT = "covid-forecast"
PROJECT_DIR = Path(__file__).resolve().parent.parent

# Keys of the `prefect:` namespace. Pulumi does not let a project declare another namespace's keys
# with a type, so they are documented in Pulumi.yaml's comment and README instead.
PREFECT_KEYS = {
    "prefect:apiUrl": "Prefect API URL (Cloud workspace or self-hosted server).",
    "prefect:apiKey": "Secret. Prefect Cloud API key.",
    "prefect:authString": "Secret. Basic-auth string of a self-hosted Prefect server.",
}

# Fargate's accepted task sizes: CPU units -> allowed memory (MiB). From the AWS ECS docs
# "Task CPU and memory" table.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# S3 bucket naming rules (AWS "Bucket naming rules"): 3-63 chars of a-z 0-9 . -, alnum at both ends.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# The OCI distribution reference grammar (github.com/distribution/reference), compacted:
# [domain[:port]/]path[:tag][@algo:hex].
_REF_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REF_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_REF_DOMAIN = rf"{_REF_LABEL}(?:\.{_REF_LABEL})*(?::[0-9]+)?"
_IMAGE_REFERENCE = re.compile(
    rf"^(?:{_REF_DOMAIN}/)?{_REF_COMPONENT}(?:/{_REF_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$"
)
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
# An address SNS can deliver to: one @, a dotted domain, no spaces (SNS confirms it by mail).
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_IAM_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
# Keys a shared-mode city cannot honour: the platform stack's resources decide them.
_PLATFORM_DECIDES = {
    "resultsUri": "results location",
    "imageUri": "flow image",
    "vpcId": "network",
    "subnetIds": "network",
    "alertEmail": "worker-health alarm",
}
# Where each data source is published (flow.sources.DEFAULT_URLS; a unit test keeps them equal).
# The default `dataUrl` follows `dataSource`.
DATA_SOURCES = ("jhu-daily", "covidhub")
DEFAULT_DATA_URLS = {
    "jhu-daily": "https://raw.githubusercontent.com/CSSEGISandData/COVID-19/master/"
    "csse_covid_19_data/csse_covid_19_daily_reports/{date:%m-%d-%Y}.csv",
    "covidhub": "https://raw.githubusercontent.com/CDCgov/covid19-forecast-hub/main/"
    "target-data/covid-hospital-admissions.csv",
}
# Prefect names travel in URLs; it rejects these characters.
_PREFECT_NAME_FORBIDDEN = set("/%&><")
# Project keys that hold secrets: they must be set with `pulumi config set --secret` and their
# values never appear in a message.
SECRET_KEYS = frozenset({"alertWebhookUrl"})


class ConfigError(ValueError):
    """Every invalid key of a stack at once, each with its value and what is allowed."""

    def __init__(self, stack: str, problems: list[ConfigProblem]) -> None:
        self.stack = stack
        self.problems = problems
        lines = [f"stack {stack!r} has {len(problems)} invalid config value(s):"]
        lines += [f"  - {p}" for p in problems]
        lines.append("Fix with `pulumi config set <key> <value>` (see README.md, Configuration).")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ConfigProblem:
    """One bad key: where, what it was, what would be accepted."""

    key: str
    value: object
    allowed: str

    def __str__(self) -> str:
        key = self.key if ":" in self.key else f"{PROJECT}:{self.key}"
        return f"{key} = {self.value!r}: {self.allowed}"


def fargate_memory_choices(cpu: int) -> str:
    """Human-readable list of the memory sizes Fargate accepts for `cpu`."""
    sizes = FARGATE_SIZES[cpu]
    if len(sizes) <= 3:
        return ", ".join(str(m) for m in sizes)
    return f"{sizes[0]}..{sizes[-1]} in steps of {sizes[1] - sizes[0]}"


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _fargate_problems(
    cpu_key: str, raw_cpu: object, mem_key: str, raw_memory: object
) -> list[ConfigProblem]:
    cpu, memory = _as_int(raw_cpu), _as_int(raw_memory)
    if cpu is None or memory is None:
        return []  # the type error is already reported for the key itself
    if cpu not in FARGATE_SIZES:
        allowed = ", ".join(str(c) for c in FARGATE_SIZES)
        return [ConfigProblem(cpu_key, cpu, f"Fargate CPU units must be one of {allowed}")]
    if memory not in FARGATE_SIZES[cpu]:
        return [
            ConfigProblem(
                mem_key,
                memory,
                f"with {cpu_key}={cpu} Fargate accepts {fargate_memory_choices(cpu)} MiB",
            )
        ]
    return []


def validate_cron(cron: str) -> str:
    """Return `cron` if the cron parser Prefect uses accepts it, else raise ValueError."""
    from datetime import datetime

    try:
        CronSim(cron, datetime(2020, 1, 1))
    except (CronSimError, ValueError) as exc:
        raise ValueError(
            f"not a valid cron expression ({exc}); e.g. '0 6 * * *' = 06:00 daily"
        ) from None
    return cron


def validate_timezone(name: str) -> str:
    """Return `name` if it is an IANA timezone known to this system's tz database."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=3)
        hint = f"; did you mean {', '.join(close[:3])}?" if close else ""
        raise ValueError(f"not an IANA timezone, e.g. Europe/Madrid or UTC{hint}") from None
    return name


def validate_s3_uri(uri: str) -> str:
    """Return `uri` if it is `s3://<valid-bucket>[/prefix]`."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not _BUCKET.match(parsed.netloc or ""):
        raise ValueError(
            "must be s3://<bucket>[/<prefix>] with a valid bucket name "
            "(3-63 chars: a-z, 0-9, '.', '-')"
        )
    if "//" in parsed.path or parsed.query or parsed.fragment:
        raise ValueError("must be s3://<bucket>[/<prefix>] without '//', '?' or '#'")
    return uri


def validate_image_reference(ref: str) -> str:
    """Return `ref` if it is a container registry reference (repo[:tag][@sha256:...])."""
    if len(ref) > 255 or not _IMAGE_REFERENCE.match(ref):
        raise ValueError(
            "must be a registry reference such as "
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/covid-forecast@sha256:<digest>"
        )
    return ref


def slug(text: str) -> str:
    """Lowercase, dash-separated form of `text` usable in Prefect and AWS names."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class StackConfig(BaseModel):
    """A stack's validated configuration. Field aliases are the `Pulumi.yaml` keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    # Pulumi stack name (from the engine, not from config); names per-stack Prefect objects.
    stack: str
    # aws: ECR image, ECS worker service, S3 results. local: process pool, local files.
    platform: Literal["aws", "local"] = Field(alias="platform")
    # Where the data comes from: JHU CSSE daily reports or the CDC Forecast Hub's weekly file.
    data_source: Literal["jhu-daily", "covidhub"] = Field(alias="dataSource", default="jhu-daily")
    # jhu-daily: the JHU Province_State; covidhub: a hub location (name, USPS, FIPS) or `all`.
    city: str = Field(alias="city", min_length=1)
    # JHU Country_Region, when the Province_State name is ambiguous.
    country: str | None = Field(alias="country", default=None)
    # MLflow run id of the deployed model.
    run_id: str = Field(alias="runId")
    # Cron of the forecast schedule.
    schedule_cron: str = Field(alias="scheduleCron")
    # IANA timezone the cron is evaluated in.
    schedule_timezone: str = Field(alias="scheduleTimezone")
    # False pauses the schedule without deleting it.
    schedule_active: bool = Field(alias="scheduleActive")
    # Cron of the optional monitor deployment (None: no monitor deployment).
    monitor_cron: str | None = Field(alias="monitorSchedule", default=None)
    # Fargate size of the Prefect worker task.
    worker_cpu: int = Field(alias="workerCpu")
    worker_memory: int = Field(alias="workerMemory")
    # Fargate size of each flow-run task.
    flow_cpu: int = Field(alias="flowCpu")
    flow_memory: int = Field(alias="flowMemory")
    # MLflow artifact root where the model can be found without a tracking server.
    model_artifacts_uri: str | None = Field(alias="modelArtifactsUri", default=None)
    # MLflow tracking URI; the model is then resolved as runs:/<runId>/model.
    mlflow_tracking_uri: str | None = Field(alias="mlflowTrackingUri", default=None)
    # Where forecasts are written; None on aws creates a bucket.
    results_uri: str | None = Field(alias="resultsUri", default=None)
    # Allow destroying a created results bucket that still holds objects.
    results_force_destroy: bool = Field(alias="resultsForceDestroy")
    # Prebuilt flow image; None builds and pushes one to ECR.
    image_uri: str | None = Field(alias="imageUri", default=None)
    # Network for worker and flow runs; None/empty means the default VPC and its subnets.
    vpc_id: str | None = Field(alias="vpcId", default=None)
    subnet_ids: tuple[str, ...] = Field(alias="subnetIds", default=())
    # Public IP for tasks in public subnets without NAT.
    assign_public_ip: bool = Field(alias="assignPublicIp")
    # jhu-daily: report URL template with one {date} field; covidhub: the one CSV's URL/path.
    data_url: str = Field(alias="dataUrl")
    # Prefect work pool name.
    work_pool_name: str = Field(alias="workPoolName")
    # Shared mode: the stack whose worker/pool/image this stack reuses.
    platform_stack: str | None = Field(alias="platformStack", default=None)
    # CloudWatch log retention in days.
    log_retention_days: int = Field(alias="logRetentionDays", ge=1)
    # Images kept by the ECR lifecycle policy.
    image_keep_count: int = Field(alias="imageKeepCount", ge=1)
    # Secret. Webhook URL failed-forecast alerts are sent to (Slack, Teams or any URL taking a
    # JSON POST); None: no notification block and no *forecast failed* automation.
    alert_webhook_url: SecretStr | None = Field(alias="alertWebhookUrl", default=None)
    # Minutes a flow run may stay Running before it is cancelled; 0: never.
    stuck_after_minutes: int = Field(alias="stuckAfterMinutes", default=60, ge=0)
    # Runs of one deployment at a time (0: no limit) and what happens to one more.
    concurrency_limit: int = Field(alias="concurrencyLimit", default=1, ge=0)
    collision_strategy: Literal["CANCEL_NEW", "ENQUEUE"] = Field(
        alias="collisionStrategy", default="CANCEL_NEW"
    )
    # Pulumi Deployments: the GitHub repo (owner/name) this stack deploys from; None: not managed.
    deployments_repo: str | None = Field(alias="deploymentsRepo", default=None)
    # Branch whose pushes deploy this stack.
    deployments_branch: str = Field(alias="deploymentsBranch", min_length=1)
    # AWS role Pulumi Deployments assumes via OIDC; None: credentials from the environment.
    deployments_role_arn: str | None = Field(alias="deploymentsRoleArn", default=None)
    # Address subscribed to the worker-health alarm's SNS topic; None: the topic has no subscriber.
    alert_email: str | None = Field(alias="alertEmail", default=None)
    # Cron (UTC) of Pulumi Deployments' drift detection of the stack (with deploymentsRepo);
    # None: no drift schedule.
    drift_schedule: str | None = Field(alias="driftSchedule", default=None)
    # A drift run also runs `pulumi up` to undo the drift, instead of only reporting it.
    drift_auto_remediate: bool = Field(alias="driftAutoRemediate", default=False)
    # Prefect API URL; None falls back to PREFECT_API_URL (local platform only).
    prefect_api_url: str | None = None
    # Which Prefect credential the stack holds as a secret (never the value itself).
    prefect_auth: Literal["api_key", "auth_string", "none"] = "none"

    @field_validator("city")
    @classmethod
    def _city(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a JHU Province_State, e.g. Madrid")
        return value.strip()

    @field_validator("run_id")
    @classmethod
    def _run_id(cls, value: str) -> str:
        if not _RUN_ID.match(value):
            raise ValueError("must be an MLflow run id: 32 lowercase hex characters")
        return value

    @field_validator("schedule_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return validate_cron(value)

    @field_validator("monitor_cron")
    @classmethod
    def _monitor_cron(cls, value: str | None) -> str | None:
        return validate_cron(value) if value else None

    @field_validator("schedule_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return validate_timezone(value)

    @field_validator("image_uri")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return validate_image_reference(value) if value else None

    @field_validator("work_pool_name")
    @classmethod
    def _pool_name(cls, value: str) -> str:
        if not value or _PREFECT_NAME_FORBIDDEN & set(value):
            raise ValueError("must be non-empty and contain none of / % & > <")
        return value

    @field_validator("alert_email")
    @classmethod
    def _alert_email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value.strip()):
            raise ValueError("must be one email address, e.g. oncall@example.org")
        return value.strip() if value else None

    @field_validator("drift_schedule")
    @classmethod
    def _drift_schedule(cls, value: str | None) -> str | None:
        return validate_cron(value) if value else None

    @property
    def city_slug(self) -> str:
        """The city as used in Prefect deployment names and result keys, e.g. `madrid`."""
        return slug(self.city)

    @property
    def shared(self) -> bool:
        """True when this stack reuses another stack's platform (shared mode)."""
        return self.platform_stack is not None


def _blank_to_none(value: Any) -> Any:
    return None if value in ("", None) else value


def _alert_problems(cfg: Mapping[str, Any], secret_keys: Collection[str]) -> list[ConfigProblem]:
    """The alert webhook: an http(s) URL with a host, stored as a secret; never echoed."""
    url = cfg.get("alertWebhookUrl")
    if not url:
        return []
    parsed = urlparse(str(url))
    problems = []
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        problems.append(
            ConfigProblem(
                "alertWebhookUrl",
                "[secret]",
                "must be an http(s) webhook URL, e.g. https://hooks.slack.com/services/...",
            )
        )
    if "alertWebhookUrl" not in secret_keys:
        problems.append(
            ConfigProblem(
                "alertWebhookUrl",
                "[redacted]",
                "is stored in plaintext; re-set it with "
                f"`pulumi config set --secret {PROJECT}:alertWebhookUrl <url>`",
            )
        )
    return problems


def _jhu_template_problem(url: str) -> str | None:
    from datetime import date

    try:
        rendered = url.format(date=date(2021, 1, 1))
    except (KeyError, IndexError, ValueError):
        return (
            "with dataSource jhu-daily, must be a template with exactly one field, {date}, "
            "e.g. .../{date:%m-%d-%Y}.csv"
        )
    if rendered == url:
        return (
            "with dataSource jhu-daily, needs a {date} field (one report per day), "
            "e.g. .../{date:%m-%d-%Y}.csv; one weekly file is dataSource covidhub"
        )
    return None


def _source_problems(cfg: Mapping[str, Any]) -> list[ConfigProblem]:
    """`dataUrl`, `city` and `country` must fit `dataSource` (an unknown source is reported
    on its own key)."""
    source, url, city = cfg.get("dataSource") or "jhu-daily", cfg.get("dataUrl"), cfg.get("city")
    problems = []
    if source == "jhu-daily" and isinstance(url, str):
        problem = _jhu_template_problem(url)
        if problem:
            problems.append(ConfigProblem("dataUrl", url, problem))
    elif source == "covidhub":
        if isinstance(url, str) and "{" in url:
            problems.append(
                ConfigProblem(
                    "dataUrl",
                    url,
                    "with dataSource covidhub, must be the URL or path of the hub's one "
                    "target-data CSV (no {date} field); empty means the hub's GitHub file",
                )
            )
        if isinstance(city, str) and city.strip():
            try:
                resolve_location(city)
            except UnknownLocationError as exc:
                problems.append(ConfigProblem("city", city, str(exc)))
        if cfg.get("country"):
            problems.append(
                ConfigProblem(
                    "country",
                    cfg["country"],
                    "only used with dataSource jhu-daily; remove it (`pulumi config rm country`)",
                )
            )
    return problems


def _cross_problems(
    cfg: Mapping[str, Any], prefect: Mapping[str, Any], secret_keys: Collection[str] = ()
) -> list[ConfigProblem]:
    """Checks that involve more than one key (run even when single keys failed)."""
    problems = _source_problems(cfg)
    problems += _fargate_problems(
        "workerCpu", cfg.get("workerCpu"), "workerMemory", cfg.get("workerMemory")
    )
    problems += _fargate_problems(
        "flowCpu", cfg.get("flowCpu"), "flowMemory", cfg.get("flowMemory")
    )
    platform = cfg.get("platform")
    artifacts, tracking = cfg.get("modelArtifactsUri"), cfg.get("mlflowTrackingUri")
    if not artifacts and not tracking:
        problems.append(
            ConfigProblem(
                "modelArtifactsUri",
                artifacts,
                "set modelArtifactsUri (MLflow artifact root) or mlflowTrackingUri "
                "so the flow can find the model",
            )
        )
    if platform == "aws":
        for key in ("modelArtifactsUri", "resultsUri"):
            value = cfg.get(key)
            if isinstance(value, str) and value:
                try:
                    validate_s3_uri(value)
                except ValueError as exc:
                    problems.append(ConfigProblem(key, value, str(exc)))
        if not prefect.get("apiUrl"):
            problems.append(
                ConfigProblem(
                    "prefect:apiUrl",
                    None,
                    "the aws platform needs the Prefect API URL: "
                    "pulumi config set prefect:apiUrl <url>",
                )
            )
    elif platform == "local" and cfg.get("platformStack"):
        problems.append(
            ConfigProblem("platformStack", cfg["platformStack"], "shared mode needs platform aws")
        )
    if platform == "local" and cfg.get("alertEmail"):
        problems.append(
            ConfigProblem(
                "alertEmail",
                cfg["alertEmail"],
                "the worker-health alarm exists only on the aws platform (the local worker is "
                "yours to watch); remove it with `pulumi config rm alertEmail`",
            )
        )
    if platform == "aws" and cfg.get("platformStack"):
        problems += [
            ConfigProblem(
                key,
                cfg[key],
                f"in shared mode the platform stack {cfg['platformStack']} decides the {what}; "
                f"remove it with `pulumi config rm {key}` or unset platformStack",
            )
            for key, what in _PLATFORM_DECIDES.items()
            if cfg.get(key)
        ]
    problems += _deployments_problems(cfg)
    problems += _alert_problems(cfg, secret_keys)
    problems += _undeclared_prefect_problems(prefect.get("undeclared") or ())
    if prefect.get("apiKey") and prefect.get("authString"):
        problems.append(
            ConfigProblem(
                "prefect:authString",
                "[secret]",
                "set prefect:apiKey or prefect:authString, not both",
            )
        )
    for key in ("apiKey", "authString"):
        if prefect.get(key) and not prefect.get(f"{key}IsSecret", True):
            problems.append(
                ConfigProblem(
                    f"prefect:{key}",
                    "[redacted]",
                    "is stored in plaintext; re-set it with "
                    f"`pulumi config set --secret prefect:{key}`",
                )
            )
    return problems


def _deployments_problems(cfg: Mapping[str, Any]) -> list[ConfigProblem]:
    """Pulumi Deployments keys: GitHub owner/name, an IAM role ARN, the role only with a repo."""
    problems = []
    repo, role = cfg.get("deploymentsRepo"), cfg.get("deploymentsRoleArn")
    if repo and not _GITHUB_REPO.match(str(repo)):
        problems.append(ConfigProblem("deploymentsRepo", repo, "must be a GitHub owner/name"))
    if role and not _IAM_ROLE_ARN.match(str(role)):
        problems.append(
            ConfigProblem(
                "deploymentsRoleArn",
                role,
                "must be an IAM role ARN: arn:aws:iam::<account>:role/<name>",
            )
        )
    if role and not repo:
        problems.append(
            ConfigProblem(
                "deploymentsRoleArn",
                role,
                "only used with deploymentsRepo; set it or remove the role",
            )
        )
    if _is_true(cfg.get("driftAutoRemediate")):
        # Drift runs are Pulumi Deployments: without settings and a schedule nothing runs.
        missing = [key for key in ("deploymentsRepo", "driftSchedule") if not cfg.get(key)]
        if missing:
            problems.append(
                ConfigProblem(
                    "driftAutoRemediate",
                    True,
                    f"needs {' and '.join(missing)}: remediation runs as a Pulumi Deployments "
                    f"drift run; set {'it' if len(missing) == 1 else 'them'}, or remove "
                    "driftAutoRemediate",
                )
            )
    return problems


def _is_true(value: Any) -> bool:
    """A boolean config value as the engine hands it over (`true` arrives as a string)."""
    return value is True or str(value).strip().lower() == "true"


@functools.cache
def declared_config_keys() -> frozenset[str]:
    """The keys Pulumi.yaml's config schema declares (the project's own namespace)."""
    from infra.stack_files import project_schema  # stack_files builds on this module

    return frozenset(project_schema())


def closest_key(key: str, declared: Collection[str]) -> str | None:
    """The declared key `key` was most likely meant to be (case slips first), or None."""
    by_case = [name for name in declared if name.lower() == key.lower()]
    if by_case:
        return by_case[0]
    lowered = {name.lower(): name for name in declared}
    close = difflib.get_close_matches(key.lower(), sorted(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def _undeclared_key_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """Project keys Pulumi.yaml does not declare: the program would silently ignore them."""
    declared = declared_config_keys()
    problems = []
    for key in sorted(set(raw) - declared):
        meant = closest_key(key, declared)
        fix = (
            f"did you mean {meant}? `pulumi config rm {key}` then `pulumi config set {meant} ...`"
            if meant
            else f"remove it with `pulumi config rm {key}` (README.md, Configuration, lists "
            "every key)"
        )
        problems.append(
            ConfigProblem(
                key, raw[key], f"is not a key Pulumi.yaml declares, so it would be ignored; {fix}"
            )
        )
    return problems


def _undeclared_prefect_problems(keys: Collection[str]) -> list[ConfigProblem]:
    """`prefect:` keys the program does not read: a typo here silently drops the credential."""
    declared = [key.removeprefix("prefect:") for key in PREFECT_KEYS]
    problems = []
    for key in keys:
        meant = closest_key(key, declared)
        fix = f"did you mean prefect:{meant}? " if meant else ""
        problems.append(
            ConfigProblem(
                f"prefect:{key}",
                "[not shown]",  # may be a credential set with --secret
                f"is not a Prefect key the program reads, so it would be ignored; {fix}"
                f"`pulumi config rm prefect:{key}`; the keys: {', '.join(PREFECT_KEYS)}",
            )
        )
    return problems


def _problems_from_validation(
    error: ValidationError, raw: Mapping[str, Any]
) -> list[ConfigProblem]:
    problems = []
    for err in error.errors():
        key = str(err["loc"][0]) if err["loc"] else "?"
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is required: pulumi config set " + key + " <value>"
        elif err["type"] == "literal_error" and key == "platform":
            message = "must be one of: aws, local"
        elif err["type"] == "literal_error" and key == "dataSource":
            message = f"must be one of: {', '.join(DATA_SOURCES)}"
        value = "[secret]" if key in SECRET_KEYS else raw.get(key)
        problems.append(ConfigProblem(key, value, message))
    return problems


def build_stack_config(
    stack: str,
    raw: Mapping[str, Any],
    prefect: Mapping[str, Any] | None = None,
    secret_keys: Collection[str] = (),
) -> StackConfig:
    """Validate project config values (keys as in Pulumi.yaml) into a `StackConfig`.

    `prefect` holds the `prefect:` namespace: `apiUrl`, and booleans telling whether `apiKey` /
    `authString` are set (and `apiKeyIsSecret` / `authStringIsSecret` whether they are secret).
    `secret_keys`: the project keys whose values are stored as secrets (a `SECRET_KEYS` key set
    in plaintext is refused). Raises `ConfigError` listing every problem at once.
    """
    prefect = prefect or {}
    # A key Pulumi.yaml does not declare is a typo of one it does: reported, never used.
    undeclared = _undeclared_key_problems(raw)
    typos = {problem.key for problem in undeclared}
    cleaned = {k: _blank_to_none(v) for k, v in raw.items() if k not in typos}
    auth: Literal["api_key", "auth_string", "none"] = (
        "api_key"
        if prefect.get("apiKey")
        else "auth_string"
        if prefect.get("authString")
        else "none"
    )
    if not cleaned.get("dataUrl"):
        # The default follows the source; an unknown source is reported on its own key.
        cleaned["dataUrl"] = DEFAULT_DATA_URLS.get(cleaned.get("dataSource") or "jhu-daily", "")
    payload = {
        **{k: v for k, v in cleaned.items() if v is not None},
        "stack": stack,
        "workPoolName": cleaned.get("workPoolName") or f"{PROJECT}-{slug(stack)}",
        "prefect_api_url": _blank_to_none(prefect.get("apiUrl")),
        "prefect_auth": auth,
    }
    problems = undeclared + _cross_problems(cleaned, prefect, secret_keys)
    config: StackConfig | None = None
    try:
        config = StackConfig.model_validate(payload)
    except ValidationError as exc:
        problems = _problems_from_validation(exc, payload) + problems
    if problems or config is None:
        raise ConfigError(stack, problems)
    return config


def parse_config_value(key: str, value: str) -> Any:
    """Decode a raw Pulumi config string: arrays arrive JSON-encoded."""
    if key == "subnetIds":
        try:
            decoded = json.loads(value) if value else []
        except json.JSONDecodeError:
            return value
        return tuple(decoded) if isinstance(decoded, list) else decoded
    return value


def resolve_local_paths(config: StackConfig, root: Path = PROJECT_DIR) -> StackConfig:
    """Make the local platform's relative paths absolute (workers run flows in other cwds)."""

    def absolute(path: str | None) -> str | None:
        if not path or "://" in path:
            return path
        return str((root / path).resolve()) if not Path(path).is_absolute() else path

    tracking = config.mlflow_tracking_uri
    if tracking and tracking.startswith("sqlite:///") and not tracking.startswith("sqlite:////"):
        tracking = "sqlite:///" + str((root / tracking.removeprefix("sqlite:///")).resolve())
    return config.model_copy(
        update={
            "model_artifacts_uri": absolute(config.model_artifacts_uri),
            "results_uri": absolute(config.results_uri),
            "data_url": absolute(config.data_url),
            "mlflow_tracking_uri": tracking,
        }
    )


CONFIG_KEYS: tuple[str, ...] = tuple(
    field.alias for field in StackConfig.model_fields.values() if field.alias is not None
)


def configured_project_keys(namespace: str = PROJECT) -> set[str]:
    """Every key the running stack sets in `namespace` (the project's), declared or not.

    The Python SDK has no public listing of config keys: the engine hands the program its
    config as the `PULUMI_CONFIG` environment JSON, which the runtime copies into its config
    map (where `pulumi.runtime.set_all_config` and the tests' mocks put it too).
    """
    from pulumi.runtime.config import CONFIG, get_config_env

    prefix = f"{namespace}:"
    keys = {*CONFIG.get(), *get_config_env()}
    return {key.removeprefix(prefix) for key in keys if key.startswith(prefix)}


def load_stack_config() -> StackConfig:
    """Read and validate the running Pulumi stack's config (raises `ConfigError`)."""
    import pulumi
    from pulumi.runtime.config import get_config, is_config_secret

    project_config = pulumi.Config()
    raw: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        value = project_config.get(key)
        if value is not None:
            raw[key] = parse_config_value(key, value)
    for key in configured_project_keys() - set(CONFIG_KEYS):
        # Undeclared keys are only reported (as typos); a secret one is never echoed.
        secret = is_config_secret(f"{PROJECT}:{key}")
        raw[key] = "[secret]" if secret else get_config(f"{PROJECT}:{key}")
    prefect: dict[str, Any] = {"apiUrl": get_config("prefect:apiUrl")}
    for key in ("apiKey", "authString"):
        prefect[key] = get_config(f"prefect:{key}") not in (None, "")
        prefect[f"{key}IsSecret"] = is_config_secret(f"prefect:{key}")
    declared_prefect = {key.removeprefix("prefect:") for key in PREFECT_KEYS}
    prefect["undeclared"] = sorted(configured_project_keys("prefect") - declared_prefect)
    secret_keys = {key for key in SECRET_KEYS if is_config_secret(f"{PROJECT}:{key}")}
    config = build_stack_config(pulumi.get_stack(), raw, prefect, secret_keys)
    return resolve_local_paths(config) if config.platform == "local" else config
