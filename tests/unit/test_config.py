"""Stack config: every bad key rejected at once, with its value and what is allowed."""

from __future__ import annotations

import pytest

from infra.config import (
    DATA_SOURCES,
    DEFAULT_DATA_URLS,
    FARGATE_SIZES,
    ConfigError,
    StackConfig,
    validate_image_reference,
    validate_s3_uri,
)
from tests.pulumi_harness import load_config

MADRID_API_URL = "prefect:apiUrl"


def test_both_example_stacks_load_into_a_valid_config() -> None:
    madrid = load_config("madrid")
    assert isinstance(madrid, StackConfig)
    assert (madrid.platform, madrid.city, madrid.country) == ("aws", "Madrid", "Spain")
    assert (madrid.schedule_cron, madrid.schedule_timezone) == ("0 6 * * *", "Europe/Madrid")
    assert madrid.work_pool_name == "covid-forecast-madrid"
    assert (madrid.worker_cpu, madrid.worker_memory) == (256, 512)  # Pulumi.yaml defaults

    dev = load_config("dev")
    assert dev.platform == "local"
    assert dev.results_uri is not None and dev.results_uri.startswith("/")  # made absolute
    assert dev.mlflow_tracking_uri is not None and dev.mlflow_tracking_uri.startswith("sqlite:////")


def test_every_bad_key_is_reported_in_one_error() -> None:
    bad = {
        "platform": "gcp",
        "city": "   ",
        "runId": "not-a-run-id",
        "scheduleCron": "61 * * * *",
        "scheduleTimezone": "Europe/Madird",
        "workerMemory": 4096,  # workerCpu stays 256: Fargate allows 512..2048
        "flowCpu": 300,
        "imageUri": "Not An Image!",
        "dataUrl": "https://example.org/{day}.csv",
    }
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", bad)
    message = str(caught.value)
    reported = {p.key for p in caught.value.problems}
    assert reported == set(bad)
    for key, value in bad.items():
        assert f"covid-forecast:{key} = {value!r}" in message
    assert "must be one of: aws, local" in message
    assert "32 lowercase hex characters" in message
    assert "with workerCpu=256 Fargate accepts 512, 1024, 2048 MiB" in message
    assert "Europe/Madrid" in message  # the closest timezone is suggested


def test_s3_uris_are_checked_on_the_aws_platform() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {"modelArtifactsUri": "s3://Bad_Bucket/x", "resultsUri": "http://x"})
    assert {p.key for p in caught.value.problems} == {"modelArtifactsUri", "resultsUri"}


def test_aws_needs_a_prefect_api_url_and_a_model_location() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {MADRID_API_URL: None, "modelArtifactsUri": None})
    assert {p.key for p in caught.value.problems} == {"prefect:apiUrl", "modelArtifactsUri"}
    assert "pulumi config set prefect:apiUrl" in str(caught.value)


def test_a_plaintext_api_key_is_refused_without_echoing_it() -> None:
    canary = "pnu_CANARY_plaintext_0123456789"
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {"prefect:apiKey": canary})
    assert "--secret prefect:apiKey" in str(caught.value)
    assert canary not in str(caught.value)


def test_a_secret_api_key_is_accepted_and_never_stored_in_the_config() -> None:
    canary = "pnu_CANARY_secret_0123456789"
    config = load_config("madrid", secrets={"prefect:apiKey": canary})
    assert config.prefect_auth == "api_key"
    assert canary not in repr(config) and canary not in config.model_dump_json()


def test_api_key_and_auth_string_together_are_ambiguous() -> None:
    with pytest.raises(ConfigError, match="not both"):
        load_config("madrid", secrets={"prefect:apiKey": "a", "prefect:authString": "u:p"})


def _fargate_pairs() -> list[tuple[int, int, bool]]:
    pairs = [(cpu, mem, True) for cpu, mems in FARGATE_SIZES.items() for mem in (mems[0], mems[-1])]
    pairs += [(256, 4096, False), (512, 512, False), (1024, 9216, False), (4096, 31744, False)]
    pairs += [(8192, 18432, False), (16384, 32768 + 4096, False)]
    return pairs


@pytest.mark.parametrize(("cpu", "memory", "valid"), _fargate_pairs())
def test_fargate_cpu_memory_table(cpu: int, memory: int, valid: bool) -> None:
    overrides = {"flowCpu": cpu, "flowMemory": memory}
    if valid:
        config = load_config("madrid", overrides)
        assert (config.flow_cpu, config.flow_memory) == (cpu, memory)
    else:
        with pytest.raises(ConfigError, match=f"flowMemory = {memory}"):
            load_config("madrid", overrides)


@pytest.mark.parametrize(
    "uri", ["s3://covid-results", "s3://covid-results/forecasts/v1", "s3://a.b-c/x"]
)
def test_valid_s3_uris(uri: str) -> None:
    assert validate_s3_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    ["s3://ab", "s3://UPPER/x", "s3:/bucket", "https://bucket/x", "s3://bucket//x", "s3://-b-/x"],
)
def test_invalid_s3_uris(uri: str) -> None:
    with pytest.raises(ValueError, match="s3://<bucket>"):
        validate_s3_uri(uri)


@pytest.mark.parametrize(
    "ref",
    [
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/covid-forecast@sha256:" + "a" * 64,
        "ghcr.io/acme/covid-forecast:2026.11.25",
        "prefecthq/prefect-aws:0.7.12-python3.11",
        "localhost:5000/flow:dev",
    ],
)
def test_registry_references_are_accepted(ref: str) -> None:
    assert validate_image_reference(ref) == ref


@pytest.mark.parametrize(
    "ref", ["Not An Image!", "https://ghcr.io/acme/x", "repo:tag:extra", "repo@sha256:short"]
)
def test_non_references_are_rejected(ref: str) -> None:
    with pytest.raises(ValueError, match="registry reference"):
        validate_image_reference(ref)


def test_local_shared_mode_is_refused() -> None:
    with pytest.raises(ConfigError, match="shared mode needs platform aws"):
        load_config("dev", {"platformStack": "acme/covid-forecast/platform"})


def test_pulumi_deployments_keys_are_checked() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {"deploymentsRepo": "not a repo", "deploymentsRoleArn": "role"})
    problems = {(p.key, p.allowed) for p in caught.value.problems}
    assert ("deploymentsRepo", "must be a GitHub owner/name") in problems
    assert any(k == "deploymentsRoleArn" and "arn:aws:iam::" in a for k, a in problems)

    with pytest.raises(ConfigError, match="only used with deploymentsRepo"):
        load_config("madrid", {"deploymentsRoleArn": "arn:aws:iam::123456789012:role/deployer"})

    config = load_config(
        "madrid",
        {
            "deploymentsRepo": "acme/covid-forecast",
            "deploymentsRoleArn": "arn:aws:iam::123456789012:role/d",
        },
    )
    assert config.deployments_repo == "acme/covid-forecast"


def test_shared_mode_keys_the_platform_decides_are_reported_with_the_rest() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(
            "madrid",
            {
                "platformStack": "acme/covid-forecast/madrid",
                "imageUri": "ghcr.io/a/b:1",
                "runId": "x",
            },
        )
    assert {p.key for p in caught.value.problems} == {"imageUri", "runId"}
    assert "pulumi config rm imageUri" in str(caught.value)


# Data sources: `dataSource` picks what `dataUrl` and `city` must look like.


def test_the_california_stack_is_a_weekly_covidhub_stack_with_the_hub_default_url() -> None:
    california = load_config("california")
    assert (california.platform, california.data_source, california.city) == (
        "aws",
        "covidhub",
        "California",
    )
    assert (california.schedule_cron, california.schedule_timezone) == (
        "0 18 * * 3",
        "America/New_York",
    )
    assert california.data_url == DEFAULT_DATA_URLS["covidhub"]


def test_jhu_stacks_keep_the_jhu_default_source_and_url() -> None:
    madrid = load_config("madrid")
    assert madrid.data_source == "jhu-daily"
    assert madrid.data_url == DEFAULT_DATA_URLS["jhu-daily"]


def test_the_infra_default_urls_are_the_flow_sources_defaults() -> None:
    from flow.sources import DEFAULT_URLS, SOURCES

    assert DEFAULT_DATA_URLS == DEFAULT_URLS
    assert DATA_SOURCES == SOURCES


@pytest.mark.parametrize(
    "city", ["California", "ca", "06", "6", "US", "all", "District of Columbia"]
)
def test_covidhub_cities_are_hub_locations_by_name_usps_or_fips(city: str) -> None:
    config = load_config("california", {"city": city})
    assert config.city == city


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/target-data/covid-hospital-admissions.csv",
        "s3://hub-mirror/target-data/covid-hospital-admissions.csv",
        "file:///data/covid-hospital-admissions.csv",
    ],
)
def test_covidhub_takes_one_file(url: str) -> None:
    assert load_config("california", {"dataUrl": url}).data_url == url


def test_a_dev_stack_switched_to_covidhub_reports_every_key_that_does_not_fit() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("dev", {"dataSource": "covidhub"})
    problems = {p.key: p.allowed for p in caught.value.problems}
    assert set(problems) == {"dataUrl", "city", "country"}
    assert "no {date} field" in problems["dataUrl"]
    assert "Unknown location 'Madrid'" in problems["city"]
    assert "only used with dataSource jhu-daily" in problems["country"]
    switched = load_config(
        "dev",
        {
            "dataSource": "covidhub",
            "city": "CA",
            "country": "",
            "dataUrl": ".demo/covidhub/covid-hospital-admissions.csv",
        },
    )
    assert switched.data_source == "covidhub"
    assert switched.data_url.endswith("/.demo/covidhub/covid-hospital-admissions.csv")


def test_an_unknown_hub_location_names_the_closest_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("california", {"city": "Califronia"})
    [problem] = caught.value.problems
    assert problem.key == "city"
    assert "Closest: California (CA, 06)" in problem.allowed


def test_a_jhu_template_on_a_covidhub_stack_and_a_single_file_on_a_jhu_stack_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"with dataSource covidhub, must be the URL or path"):
        load_config("california", {"dataUrl": "https://x.org/{date:%m-%d-%Y}.csv"})
    with pytest.raises(ConfigError, match=r"one weekly file is dataSource covidhub"):
        load_config("madrid", {"dataUrl": "https://x.org/covid-hospital-admissions.csv"})


def test_an_unknown_source_is_reported_with_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {"dataSource": "nhsn"})
    [problem] = caught.value.problems
    assert (problem.key, problem.allowed) == ("dataSource", "must be one of: jhu-daily, covidhub")


# --- typo guard, alert email, drift checks ---------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("scheduleCorn", "scheduleCron"),
        ("logretentiondays", "logRetentionDays"),
        ("alertEmial", "alertEmail"),
        ("driftAutoRemediation", "driftAutoRemediate"),
    ],
)
def test_an_undeclared_key_fails_with_the_closest_declared_key(typo: str, meant: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {typo: "x"})
    [problem] = caught.value.problems
    assert problem.key == typo
    assert f"did you mean {meant}?" in problem.allowed
    assert f"pulumi config rm {typo}" in problem.allowed


def test_a_typo_is_reported_with_every_other_mistake_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {"scheduleCorn": "0 7 * * *", "runId": "latest", "flowCpu": 300})
    assert {p.key for p in caught.value.problems} == {"scheduleCorn", "runId", "flowCpu"}


def test_an_undeclared_key_without_a_close_match_says_how_to_remove_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("dev", {"favouriteFruit": "kiwi"})
    [problem] = caught.value.problems
    assert "did you mean" not in problem.allowed
    assert "pulumi config rm favouriteFruit" in problem.allowed


def test_an_undeclared_secret_key_is_reported_without_its_value() -> None:
    canary = "https://hooks.example.org/CANARY-0123456789"
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", secrets={"covid-forecast:alertWebhookUri": canary})
    [problem] = caught.value.problems
    assert problem.key == "alertWebhookUri" and "did you mean alertWebhookUrl?" in problem.allowed
    assert canary not in str(caught.value)


@pytest.mark.parametrize("email", ["oncall", "on call@example.org", "a@b", "x@@example.org"])
def test_a_bad_alert_email_is_refused(email: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {"alertEmail": email})
    [problem] = caught.value.problems
    assert (problem.key, problem.value) == ("alertEmail", email)
    assert "one email address" in problem.allowed


def test_alert_email_is_refused_where_no_alarm_exists() -> None:
    with pytest.raises(ConfigError, match=r"alertEmail = 'oncall@example.org': the worker-health"):
        load_config("dev", {"alertEmail": "oncall@example.org"})
    with pytest.raises(ConfigError, match=r"platform stack acme/covid-forecast/madrid decides"):
        load_config(
            "madrid",
            {"alertEmail": "oncall@example.org", "platformStack": "acme/covid-forecast/madrid"},
        )


def test_drift_remediation_needs_a_repository_and_a_schedule() -> None:
    with pytest.raises(ConfigError, match=r"driftAutoRemediate = True: needs deploymentsRepo"):
        load_config("madrid", {"driftAutoRemediate": True})
    with pytest.raises(ConfigError, match=r"needs driftSchedule"):
        load_config(
            "madrid",
            {"driftAutoRemediate": True, "deploymentsRepo": "acme/covid", "driftSchedule": ""},
        )
    with pytest.raises(ConfigError, match=r"driftSchedule = 'daily': not a valid cron"):
        load_config("madrid", {"driftSchedule": "daily"})


ALERT_URL = "https://hooks.slack.com/services/T000/B000/CANARYalertWebhook0123"


def test_a_plaintext_alert_webhook_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", {"alertWebhookUrl": ALERT_URL})
    assert "--secret covid-forecast:alertWebhookUrl" in str(caught.value)
    assert ALERT_URL not in str(caught.value)


def test_a_secret_alert_webhook_is_accepted_and_never_shown() -> None:
    config = load_config("madrid", secrets={"covid-forecast:alertWebhookUrl": ALERT_URL})
    assert config.alert_webhook_url is not None
    assert config.alert_webhook_url.get_secret_value() == ALERT_URL
    assert ALERT_URL not in repr(config) and ALERT_URL not in config.model_dump_json()


def test_a_secret_alert_webhook_that_is_no_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", secrets={"covid-forecast:alertWebhookUrl": "hooks.slack.com/T0"})
    assert "alertWebhookUrl = '[secret]': must be an http(s) webhook URL" in str(caught.value)
    assert "hooks.slack.com/T0" not in str(caught.value)


def test_run_concurrency_and_stuck_run_keys_are_checked_all_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(
            "madrid",
            {"collisionStrategy": "DROP", "concurrencyLimit": -1, "stuckAfterMinutes": -5},
        )
    message = str(caught.value)
    assert "collisionStrategy = 'DROP': Input should be 'CANCEL_NEW' or 'ENQUEUE'" in message
    assert "concurrencyLimit = '-1'" in message
    assert "stuckAfterMinutes = '-5'" in message


def test_run_concurrency_defaults_to_one_run_cancelling_the_next() -> None:
    config = load_config("madrid")
    assert (config.concurrency_limit, config.collision_strategy) == (1, "CANCEL_NEW")
    assert config.stuck_after_minutes == 60
    assert config.alert_webhook_url is None


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("madrid", {"scheduleCorn": "0 7 * * *"}),
        ("madrid", {"alertEmail": "oncall"}),
        ("dev", {"alertEmail": "oncall@example.org"}),
        ("madrid", {"driftSchedule": "daily"}),
        ("madrid", {"driftAutoRemediate": True}),
    ],
)
def test_operations_mistakes_fail_before_any_resource_is_declared(
    stack: str, overrides: dict[str, object]
) -> None:
    from tests.pulumi_harness import ProgramRun, run_program

    run = ProgramRun(stack)
    with pytest.raises(ConfigError) as caught:
        run_program(stack, overrides=overrides, run=run)
    assert run.resources == []
    assert {p.key for p in caught.value.problems} == set(overrides)


def test_a_misspelt_prefect_key_fails_instead_of_silently_dropping_the_credential() -> None:
    canary = "pnu_CANARY0123456789abcdefghijklmnopqrstu"
    with pytest.raises(ConfigError) as caught:
        load_config("madrid", secrets={"prefect:apikey": canary})
    [problem] = caught.value.problems
    assert problem.key == "prefect:apikey" and "did you mean prefect:apiKey?" in problem.allowed
    assert canary not in str(caught.value)
