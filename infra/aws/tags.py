"""Tag every taggable AWS resource of the stack with `project`, `stack` and `city`.

A resource transformation, given to every component of the aws platform (components hand
their transformations down to their children), adds the tags to the `tags` input of every AWS
resource whose type declares a string map `tags` input (the same resources the AWS provider's
`default_tags` would reach). Why a transformation rather than provider default tags: the tags
then sit in each resource's own inputs, so `pulumi preview` shows them, the policy pack and the
mocks tests see them, and no explicit provider is needed (an explicit `aws.Provider` does not
inherit the stack's `aws:*` config, and would move every resource onto a new provider). Why
per component rather than one stack transformation: it belongs to this program run only (a
stack transformation stays on the root resource, which the runtime keeps between runs in one
process, as tests do).

Tags a module sets itself are kept; the three identity tags win over a module's own values
for the same keys, so no resource can claim another stack or city.
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Mapping
from typing import Any

import pulumi

AWS_PACKAGE_PREFIX = "aws:"


def declares_tag_map(resource_class: type) -> bool:
    """True when the resource class takes a `tags` input that is a map of strings.

    Generated Pulumi SDK classes declare every input of the resource's schema as a parameter
    of `_internal_init`; a few AWS types (e.g. autoscaling groups) take `tags` as a list of
    objects and are not tagged this way.
    """
    init = getattr(resource_class, "_internal_init", None)
    if init is None:
        return False
    parameter = inspect.signature(init).parameters.get("tags")
    if parameter is None:
        return False
    return any(
        typing.get_origin(option) is collections.abc.Mapping
        for option in typing.get_args(parameter.annotation)
    )


def _merged(existing: Any, tags: Mapping[str, str]) -> Any:
    if existing is None:
        return dict(tags)
    if isinstance(existing, Mapping):
        return {**existing, **tags}
    return pulumi.Output.from_input(existing).apply(lambda own: {**(own or {}), **tags})


def tag_transformation(tags: Mapping[str, str]) -> pulumi.ResourceTransformation:
    """A resource transformation adding `tags` to every taggable AWS resource."""
    fixed = dict(tags)

    def add_tags(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith(AWS_PACKAGE_PREFIX) or "tags" not in args.props:
            return None
        if not declares_tag_map(type(args.resource)):
            return None
        props = {**args.props, "tags": _merged(args.props["tags"], fixed)}
        return pulumi.ResourceTransformationResult(props=props, opts=args.opts)

    return add_tags
