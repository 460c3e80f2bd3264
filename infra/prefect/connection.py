"""Where the Prefect API is and how to authenticate: from stack config, else the environment.

Credentials live only here, in the provider process. They are never part of resource inputs or
outputs, so Pulumi state never carries them and a key rotation never breaks `destroy`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Protocol

CONFIG_API_URL = "prefect:apiUrl"
CONFIG_API_KEY = "prefect:apiKey"
CONFIG_AUTH_STRING = "prefect:authString"

_CLOUD_API = re.compile(
    r"^https://api\.prefect\.cloud/api/accounts/(?P<account>[^/]+)/workspaces/(?P<workspace>[^/]+)/?$"
)


class ConnectionSettingsError(ValueError):
    """No Prefect API URL could be found, or it is not an http(s) URL."""


class ConfigSource(Protocol):
    """What `pulumi.dynamic.Config` offers: `get(key)` returning a value or None."""

    def get(self, key: str) -> object:
        """The configuration value for `key`, or None."""
        ...


@dataclass(frozen=True)
class PrefectConnection:
    """The Prefect API URL and its credentials (API key for Cloud, or a basic-auth string).

    `repr()` never shows the credentials, so a connection can be logged safely.
    """

    api_url: str
    api_key: str | None = field(default=None, repr=False)
    auth_string: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise ConnectionSettingsError(
                f"Prefect API URL {self.api_url!r} is not an http(s) URL; set the stack config "
                f"`{CONFIG_API_URL}` or PREFECT_API_URL to e.g. http://127.0.0.1:4200/api"
            )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credential strings that must never appear in a message."""
        return tuple(s for s in (self.api_key, self.auth_string) if s)

    def redact(self, text: str) -> str:
        """`text` with every credential replaced by `***`."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def deployment_url(self, deployment_id: str) -> str:
        """The UI page of a deployment, for Prefect Cloud or a self-hosted server."""
        api = self.api_url.rstrip("/")
        cloud = _CLOUD_API.match(api)
        if cloud:
            return (
                f"https://app.prefect.cloud/account/{cloud['account']}"
                f"/workspace/{cloud['workspace']}/deployments/deployment/{deployment_id}"
            )
        base = api.removesuffix("/api")
        return f"{base}/deployments/deployment/{deployment_id}"


def _text(value: object) -> str | None:
    """A config/env value as a non-empty string, or None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def resolve_connection(config: ConfigSource | None = None) -> PrefectConnection:
    """The connection from stack config (`prefect:apiUrl`, `prefect:apiKey`, `prefect:authString`),
    each key falling back to PREFECT_API_URL / PREFECT_API_KEY / PREFECT_API_AUTH_STRING."""

    def pick(config_key: str, env_var: str) -> str | None:
        from_config = _text(config.get(config_key)) if config is not None else None
        return from_config or _text(os.environ.get(env_var))

    api_url = pick(CONFIG_API_URL, "PREFECT_API_URL")
    if api_url is None:
        raise ConnectionSettingsError(
            "No Prefect API URL: set the stack config `prefect:apiUrl` "
            "(pulumi config set prefect:apiUrl https://...) or the PREFECT_API_URL environment "
            "variable"
        )
    return PrefectConnection(
        api_url=api_url,
        api_key=pick(CONFIG_API_KEY, "PREFECT_API_KEY"),
        auth_string=pick(CONFIG_AUTH_STRING, "PREFECT_API_AUTH_STRING"),
    )
