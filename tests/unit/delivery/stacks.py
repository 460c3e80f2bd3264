"""The stacks the delivery tests run through the real program under mocks."""

from __future__ import annotations

import importlib.util

import pytest


def aws_platform_available() -> bool:
    """The aws platform lands separately; stacks on it are tested as soon as it exists."""
    return importlib.util.find_spec("infra.aws_platform") is not None


needs_aws_platform = pytest.mark.skipif(
    not aws_platform_available(), reason="infra/aws_platform.py is not there yet"
)

# The local stack and a real AWS city stack.
STACKS = [
    pytest.param("dev", id="dev"),
    pytest.param("madrid", id="madrid", marks=needs_aws_platform),
]
