"""The plan of the working tree against the plan at another commit, as a readable diff.

    python -m infra.plan_diff --stack madrid --base origin/main [--json] [--now ISO-TIME]
    make plan-diff STACK=madrid BASE=origin/main

The base commit is exported with `git archive` into a temporary folder (the repository and the
working tree are not touched) and planned there with this checkout's plan code and Python, so
the diff shows what the change declares differently, not how the plan tool changed. Both plans
count next runs from the same moment. Shown: config keys, resources added / removed / changed
(each changed input by its path), the next runs of a changed schedule, and stack outputs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.config import PROJECT_DIR, ConfigError
from infra.plan import build_plan
from infra.plan_text import run_time, scalar

# Marks a value that is absent on one side of a change.
ABSENT = "(absent)"


@dataclass(frozen=True)
class Change:
    """One value that differs: where, before, after (`ABSENT` when missing on a side)."""

    path: str
    old: Any
    new: Any


@dataclass
class PlanDiff:
    """Everything that differs between two plans of one stack."""

    config: list[Change] = field(default_factory=list)
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    # (resource entry of the new plan, its changed inputs, notes such as new next runs)
    changed: list[tuple[dict[str, Any], list[Change], list[str]]] = field(default_factory=list)
    outputs: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the two plans declare the same."""
        return not (self.config or self.added or self.removed or self.changed or self.outputs)

    def as_json(self) -> dict[str, Any]:
        """The diff as a JSON-ready document."""

        def changes(items: list[Change]) -> list[dict[str, Any]]:
            return [{"path": c.path, "old": c.old, "new": c.new} for c in items]

        return {
            "config": changes(self.config),
            "added": [r["urn"] for r in self.added],
            "removed": [r["urn"] for r in self.removed],
            "changed": [
                {"urn": entry["urn"], "inputs": changes(items), "notes": notes}
                for entry, items, notes in self.changed
            ],
            "outputs": changes(self.outputs),
        }


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a nested value by path (`schedule.cron`, `Statement[0].Action`).

    A list of plain values is one leaf (a list of tags reads better whole than by index).
    """
    if isinstance(value, dict) and (value or not prefix):
        leaves: dict[str, Any] = {}
        for key, item in value.items():
            leaves.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return leaves
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        leaves = {}
        for index, item in enumerate(value):
            leaves.update(flatten(item, f"{prefix}[{index}]"))
        return leaves
    return {prefix: value}


def diff_values(old: Any, new: Any) -> list[Change]:
    """Changed leaves of two nested values, by path."""
    before, after = flatten(old), flatten(new)
    return [
        Change(path, before.get(path, ABSENT), after.get(path, ABSENT))
        for path in sorted(before.keys() | after.keys())
        if before.get(path, ABSENT) != after.get(path, ABSENT)
    ]


def _schedules(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        entry["resource"]: entry["schedule"]
        for entry in plan.get("prefect", [])
        if isinstance(entry.get("schedule"), dict)
    }


def diff_plans(base: dict[str, Any] | None, head: dict[str, Any]) -> PlanDiff:
    """What `head` declares differently from `base` (None: the stack is new)."""
    base = base or {"config": {}, "resources": [], "outputs": {}, "prefect": []}
    result = PlanDiff(
        config=[
            Change(key, base["config"].get(key, ABSENT), head["config"].get(key, ABSENT))
            for key in sorted(base["config"].keys() | head["config"].keys())
            if base["config"].get(key, ABSENT) != head["config"].get(key, ABSENT)
        ],
        outputs=diff_values(base["outputs"], head["outputs"]),
    )
    before = {r["urn"]: r for r in base["resources"]}
    after = {r["urn"]: r for r in head["resources"]}
    result.added = [after[urn] for urn in sorted(after.keys() - before.keys())]
    result.removed = [before[urn] for urn in sorted(before.keys() - after.keys())]
    old_schedules, new_schedules = _schedules(base), _schedules(head)
    for urn in sorted(before.keys() & after.keys()):
        changes = diff_values(before[urn]["inputs"], after[urn]["inputs"])
        if not changes:
            continue
        name = after[urn]["name"]
        notes = []
        old_runs = old_schedules.get(name, {}).get("next_runs")
        new_schedule = new_schedules.get(name, {})
        if new_schedule and old_runs != new_schedule.get("next_runs"):
            timezone = str(new_schedule.get("timezone") or "UTC")
            runs = [run_time(r, timezone) for r in new_schedule.get("next_runs") or []]
            notes.append(f"next runs: {', '.join(runs) or 'none (schedule inactive)'}")
        result.changed.append((after[urn], changes, notes))
    return result


def _change_line(change: Change, indent: int) -> str:
    pad = " " * indent
    if change.old == ABSENT:
        return f"{pad}+ {change.path}: {scalar(change.new)}"
    if change.new == ABSENT:
        return f"{pad}- {change.path}: {scalar(change.old)}"
    return f"{pad}~ {change.path}: {scalar(change.old)} -> {scalar(change.new)}"


def render_diff(diff: PlanDiff, stack: str, base_label: str, head_label: str) -> str:
    """The diff as text: config, resources (+ added, - removed, ~ changed), outputs."""
    header = f"Plan diff of stack {stack!r}: {base_label} -> {head_label}"
    if diff.empty:
        return f"{header}\nNo changes: both declare the same resources, inputs and outputs.\n"
    lines = [header]
    if diff.config:
        lines += ["", "Config", *(_change_line(c, 2) for c in diff.config)]
    if diff.added or diff.removed or diff.changed:
        lines += ["", "Resources"]
        for entry in diff.added:
            lines.append(f"  + {entry['type']} {entry['name']}")
            lines += [_change_line(c, 6) for c in diff_values({}, entry["inputs"])]
        for entry in diff.removed:
            lines.append(f"  - {entry['type']} {entry['name']}")
        for entry, changes, notes in diff.changed:
            lines.append(f"  ~ {entry['type']} {entry['name']}")
            lines += [_change_line(c, 6) for c in changes]
            lines += [f"        {note}" for note in notes]
    if diff.outputs:
        lines += ["", "Outputs", *(_change_line(c, 2) for c in diff.outputs)]
    lines += [
        "",
        f"{len(diff.added)} to add, {len(diff.changed)} to change, {len(diff.removed)} to "
        f"remove; {len(diff.config)} config value(s) and {len(diff.outputs)} output(s) differ.",
    ]
    return "\n".join(lines) + "\n"


class BaseUnavailableError(RuntimeError):
    """The base commit could not be planned (bad ref, or its program or config failed)."""


def _git(*args: str) -> bytes:
    try:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_DIR, capture_output=True, check=True
        ).stdout
    except subprocess.CalledProcessError as error:
        raise BaseUnavailableError(error.stderr.decode().strip()) from None


def resolve_commit(ref: str) -> str:
    """The full commit id of a git ref (branch, tag, `HEAD^1`, id)."""
    return _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()


def _plan_modules() -> Iterator[Path]:
    return (PROJECT_DIR / "infra").glob("plan*.py")


def plan_at(commit: str, stack: str, now: datetime) -> dict[str, Any] | None:
    """The plan of `stack` as committed at `commit`; None when the stack has no file there."""
    with tempfile.TemporaryDirectory(prefix="covid-forecast-plan-base-") as folder:
        root = Path(folder)
        try:
            with tarfile.open(fileobj=io.BytesIO(_git("archive", "--format=tar", commit))) as tar:
                tar.extractall(root, filter="data")  # nothing outside the folder, no devices
        except tarfile.TarError as error:
            raise BaseUnavailableError(f"cannot unpack {commit[:12]}: {error}") from None
        if not (root / f"Pulumi.{stack}.yaml").exists():
            return None
        (root / "infra").mkdir(exist_ok=True)
        for module in _plan_modules():
            shutil.copy2(module, root / "infra" / module.name)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        command = [sys.executable, "-m", "infra.plan", "--stack", stack, "--json"]
        result = subprocess.run(
            [*command, "--now", now.isoformat()],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise BaseUnavailableError(result.stderr.strip() or result.stdout.strip())
        plan: dict[str, Any] = json.loads(result.stdout)
        return plan


def parser() -> argparse.ArgumentParser:
    """The command line of `python -m infra.plan_diff`."""
    cli = argparse.ArgumentParser(
        prog="python -m infra.plan_diff", description=__doc__.splitlines()[0]
    )
    cli.add_argument("--stack", required=True, help="stack name: Pulumi.<stack>.yaml")
    cli.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main")
    cli.add_argument("--json", action="store_true", help="print the diff as a JSON document")
    cli.add_argument("--now", default=None, help="time next runs are counted from (ISO 8601)")
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """Print the diff; 1 when the working tree's plan fails (bad config, unknown stack)."""
    args = parser().parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    try:
        head = build_plan(args.stack, now=now)
    except (ConfigError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1
    base_label = args.base
    base: dict[str, Any] | None = None
    try:
        commit = resolve_commit(args.base)
        base_label = f"{args.base} ({commit[:12]})"
        base = plan_at(commit, args.stack, now)
        if base is None:
            base_label += f", which has no Pulumi.{args.stack}.yaml"
    except BaseUnavailableError as error:
        print(f"cannot plan {args.base}; comparing with nothing:\n{error}", file=sys.stderr)
        base_label += " (could not be planned)"
    diff = diff_plans(base, head)
    if args.json:
        print(json.dumps(diff.as_json(), indent=2, sort_keys=True))
    else:
        print(render_diff(diff, args.stack, base_label, "working tree"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
