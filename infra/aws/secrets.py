"""The Prefect connection as SSM SecureString parameters, handed to tasks as ECS `secrets`.

The key (or auth string) comes from the stack's secret config and only ever travels as a
Pulumi secret: encrypted in state, injected by the ECS agent at task start (`valueFrom`), never
in a task definition's environment, a job variable or an output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from infra.config import PROJECT, StackConfig


@dataclass(frozen=True)
class CredentialKind:
    """How one kind of Prefect credential is configured, stored and handed over."""

    config_key: str  # in the `prefect:` config namespace
    parameter_leaf: str  # last segment of the SSM parameter name
    env_name: str  # the variable Prefect reads
    job_variable: str  # the ECS work pool variable that makes flow runs get it as a secret


CREDENTIALS: dict[Literal["api_key", "auth_string"], CredentialKind] = {
    "api_key": CredentialKind(
        "apiKey", "prefect-api-key", "PREFECT_API_KEY", "prefect_api_key_secret_arn"
    ),
    "auth_string": CredentialKind(
        "authString",
        "prefect-auth-string",
        "PREFECT_API_AUTH_STRING",
        "prefect_api_auth_string_secret_arn",
    ),
}
API_URL_ENV = "PREFECT_API_URL"


def parameter_name(stack: str, leaf: str) -> str:
    """The SSM parameter path of one of the stack's values, e.g. `/covid-forecast/madrid/...`."""
    return f"/{PROJECT}/{stack}/{leaf}"


class PrefectSecrets(pulumi.ComponentResource):
    """SSM SecureStrings for the Prefect API URL and, when configured, its credential."""

    api_url_arn: pulumi.Output[str]
    credential_arn: pulumi.Output[str] | None
    credential: CredentialKind | None

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("covid-forecast:aws:PrefectSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        url = aws.ssm.Parameter(
            f"{name}-api-url",
            name=parameter_name(config.stack, "prefect-api-url"),
            type="SecureString",
            value=config.prefect_api_url,
            description=f"Prefect API URL of stack {config.stack}",
            opts=child,
        )
        self.api_url_arn = url.arn
        self.credential = (
            None if config.prefect_auth == "none" else CREDENTIALS[config.prefect_auth]
        )
        self.credential_arn = None
        if self.credential is not None:
            value = pulumi.Config("prefect").require_secret(self.credential.config_key)
            parameter = aws.ssm.Parameter(
                f"{name}-{self.credential.parameter_leaf}",
                name=parameter_name(config.stack, self.credential.parameter_leaf),
                type="SecureString",
                value=value,
                description=f"Prefect credential of stack {config.stack}",
                opts=child,
            )
            self.credential_arn = parameter.arn
        self.register_outputs({"apiUrlArn": self.api_url_arn})

    @property
    def parameter_arns(self) -> list[pulumi.Output[str]]:
        """ARNs of every parameter (what the execution role may read)."""
        return [arn for arn in (self.api_url_arn, self.credential_arn) if arn is not None]

    def container_secrets(self) -> list[dict[str, Any]]:
        """The worker container's ECS `secrets`: Prefect URL and credential by reference."""
        secrets: list[dict[str, Any]] = [{"name": API_URL_ENV, "valueFrom": self.api_url_arn}]
        if self.credential is not None and self.credential_arn is not None:
            secrets.append({"name": self.credential.env_name, "valueFrom": self.credential_arn})
        return secrets

    def job_variables(self) -> dict[str, Any]:
        """ECS work pool variables that give flow-run tasks the credential the same way."""
        if self.credential is None or self.credential_arn is None:
            return {}
        return {self.credential.job_variable: self.credential_arn}
