"""Stack config: every bad key rejected at once, with its value and what is allowed."""

from __future__ import annotations

import pytest

from infra.config import (
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
