"""What `pulumi up` would declare for a stack, offline: no cloud, no credentials, no Pulumi CLI.

    python -m infra.plan --stack madrid [--set runId=<id> ...] [--json] [--now ISO-TIME]
    make plan STACK=madrid

Runs the real program (`infra.program.main`) under Pulumi's mocks with the config the CLI would
pass: `Pulumi.yaml` defaults + `Pulumi.<stack>.yaml` (+ `--set` overrides). Secure values are
never read: the program gets a stand-in and the plan shows `[secret]`. Prints the validated
config, the Prefect objects (pool, deployments with cron, timezone and next runs, parameters,
image), every resource grouped by component with its inputs, and the stack outputs; `--json`
prints the same document (`infra.plan_document`) with sorted keys. A bad config prints the
message `pulumi preview` shows and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from infra.config import PROJECT_DIR, ConfigError
from infra.plan_document import plan_document
from infra.plan_mocks import (
    SECURE_STAND_IN,
    capture_program,
    qualified_key,
    secure_keys,
    stack_config,
)
from infra.plan_text import render


def available_stacks() -> list[str]:
    """Stacks with a `Pulumi.<stack>.yaml` in this checkout."""
    files = PROJECT_DIR.glob("Pulumi.*.yaml")
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in files)


def build_plan(
    stack: str, overrides: Mapping[str, str] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The plan document of `stack`; raises `ConfigError` for a bad config.

    Raises FileNotFoundError when the stack has no `Pulumi.<stack>.yaml`.
    """
    values = stack_config(stack, overrides)
    overridden = {qualified_key(k) for k in overrides or {}}
    secrets = [k for k in secure_keys(stack) if k not in overridden]
    values.update({key: SECURE_STAND_IN for key in secrets})
    capture = capture_program(stack, values, secrets)
    return plan_document(stack, capture, values, secrets, now or datetime.now(UTC))


def _assignment(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parser() -> argparse.ArgumentParser:
    """The command line of `python -m infra.plan`."""
    cli = argparse.ArgumentParser(prog="python -m infra.plan", description=__doc__.splitlines()[0])
    cli.add_argument("--stack", required=True, help="stack name: Pulumi.<stack>.yaml")
    cli.add_argument(
        "--set",
        dest="overrides",
        action="append",
        type=_assignment,
        default=[],
        metavar="KEY=VALUE",
        help="config override, as `pulumi config set KEY VALUE` would (repeatable)",
    )
    cli.add_argument("--json", action="store_true", help="print the plan as a JSON document")
    cli.add_argument(
        "--now",
        type=_moment,
        default=None,
        help="the time next runs are counted from (ISO 8601; default: now)",
    )
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """Print the plan of one stack; 1 on a bad config or an unknown stack."""
    args = parser().parse_args(argv)
    try:
        document = build_plan(args.stack, dict(args.overrides), args.now)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        print(f"{error}; stacks here: {', '.join(available_stacks())}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        print(render(document), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
