"""Where the providers connect: stack config first, the PREFECT_* environment as fallback."""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config

from infra.prefect.connection import (
    ConnectionSettingsError,
    PrefectConnection,
    resolve_connection,
)

KEY = "pnu_not-a-real-key-1234567890"


def stack_config(values: dict[str, str]) -> Config:
    return Config(raw_config=values, project_name="covid-forecast")


def test_stack_config_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://env:4200/api")
    monkeypatch.setenv("PREFECT_API_KEY", "env-key")
    connection = resolve_connection(
        stack_config({"prefect:apiUrl": "https://config/api", "prefect:apiKey": KEY})
    )
    assert connection.api_url == "https://config/api"
    assert connection.api_key == KEY


def test_each_missing_config_key_falls_back_to_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://env:4200/api")
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", "admin:pass")
    monkeypatch.delenv("PREFECT_API_KEY", raising=False)
    connection = resolve_connection(stack_config({"prefect:apiKey": KEY}))
    assert connection.api_url == "http://env:4200/api"
    assert connection.api_key == KEY
    assert connection.auth_string == "admin:pass"


def test_no_url_anywhere_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(ConnectionSettingsError, match=r"prefect:apiUrl.*PREFECT_API_URL"):
        resolve_connection(stack_config({}))


def test_a_url_that_is_not_http_is_rejected_with_an_example() -> None:
    with pytest.raises(ConnectionSettingsError, match=r"'127\.0\.0\.1:4200'.*http://"):
        PrefectConnection(api_url="127.0.0.1:4200")


def test_credentials_never_show_in_repr_and_are_redacted_from_messages() -> None:
    connection = PrefectConnection(api_url="https://x/api", api_key=KEY, auth_string="u:p")
    assert KEY not in repr(connection)
    assert "u:p" not in repr(connection)
    assert connection.redact(f"boom {KEY} and u:p") == "boom *** and ***"


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        (
            "https://api.prefect.cloud/api/accounts/acc-1/workspaces/ws-2",
            "https://app.prefect.cloud/account/acc-1/workspace/ws-2/deployments/deployment/d-3",
        ),
        ("http://127.0.0.1:4200/api", "http://127.0.0.1:4200/deployments/deployment/d-3"),
        (
            "https://prefect.example.org/api/",
            "https://prefect.example.org/deployments/deployment/d-3",
        ),
    ],
)
def test_deployment_ui_url_for_cloud_and_self_hosted(api_url: str, expected: str) -> None:
    assert PrefectConnection(api_url=api_url).deployment_url("d-3") == expected


def test_preview_works_without_a_url_and_apply_says_how_to_set_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pulumi.dynamic import ConfigureRequest

    from infra.prefect.work_pool import WorkPoolProvider

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    provider = WorkPoolProvider()
    provider.configure(ConfigureRequest(stack_config({"covid-forecast:city": "madrid"})))
    props = provider.check({}, {"name": "covid", "type": "process"}).inputs
    assert provider.diff("covid", props, props).changes is False
    with pytest.raises(ConnectionSettingsError, match="prefect:apiUrl"):
        provider.create(props)
