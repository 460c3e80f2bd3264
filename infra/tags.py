"""The stack's identity tags: which project, stack and city an object belongs to.

One source for every platform: AWS resources carry them as tags (`infra.aws.tags`), Prefect
objects can carry the same pairs. The policy pack (`policy/`) requires exactly these keys.
"""

from __future__ import annotations

from infra.config import PROJECT, StackConfig

# The tag keys every taggable resource carries, in the order they are shown.
TAG_KEYS: tuple[str, ...] = ("project", "stack", "city")


def stack_tags(config: StackConfig) -> dict[str, str]:
    """`project`, `stack` and `city` (the city's slug, as in deployment names) of a stack."""
    return {"project": PROJECT, "stack": config.stack, "city": config.city_slug}
