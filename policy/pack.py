"""The policy pack's `pulumi_policy` policies, built from the plain rules in `policy.rules`."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import POLICY_PACK, RESOURCE_RULES, STACK_RULES, ResourceRule, StackResource

# A violation fails `pulumi preview` and stops `pulumi up`.
ENFORCEMENT = EnforcementLevel.MANDATORY


def _resource_policy(name: str, description: str, rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule(args.resource_type, args.props):
            report_violation(message, args.urn)

    return ResourceValidationPolicy(name, description, validate, ENFORCEMENT)


def _bucket_policy(name: str, description: str) -> StackValidationPolicy:
    (_, check) = STACK_RULES[name]

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            StackResource(
                type_=r.resource_type,
                urn=r.urn,
                props=r.props,
                property_dependencies={
                    key: [dependency.urn for dependency in dependencies]
                    for key, dependencies in r.property_dependencies.items()
                },
            )
            for r in args.resources
        ]
        for urn, message in check(resources):
            report_violation(message, urn)

    return StackValidationPolicy(name, description, validate, ENFORCEMENT)


def policies() -> list[Policy]:
    """Every policy of the pack, each mandatory."""
    found: list[Policy] = [
        _resource_policy(name, description, rule)
        for name, (description, rule) in RESOURCE_RULES.items()
    ]
    found += [_bucket_policy(name, description) for name, (description, _) in STACK_RULES.items()]
    return found


__all__ = ["ENFORCEMENT", "POLICY_PACK", "policies"]
