"""The Pulumi program: config -> components -> exports."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.config import load_stack_config
from infra.deployment_settings import declare_deployment_settings
from infra.local_platform import declare_local_platform


def main() -> dict[str, Any]:
    """Declare the stack's resources and export its outputs (returned too, for tests)."""
    config = load_stack_config()  # raises ConfigError before any resource is declared
    if config.platform == "local":
        outputs = declare_local_platform(config)
    else:
        from infra.aws_platform import declare_aws_platform

        outputs = declare_aws_platform(config)
    declare_deployment_settings(config)
    for name, value in outputs.items():
        pulumi.export(name, value)
    return outputs
