"""A throwaway git repository holding a copy of this checkout, for commands that read git."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from infra.config import PROJECT_DIR

VENV = PROJECT_DIR / ".venv"
# `make` must use the installed venv and never reinstall it (the stamp is its up-to-date mark).
MAKE_VENV = [f"VENV={VENV}", "-o", str(VENV / ".installed-stamp")]
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "plan tests",
    "GIT_AUTHOR_EMAIL": "plan-tests@example.org",
    "GIT_COMMITTER_NAME": "plan tests",
    "GIT_COMMITTER_EMAIL": "plan-tests@example.org",
}


def git(repository: Path, *args: str) -> str:
    """Run git in `repository` with a fixed identity; its stdout."""
    result = subprocess.run(
        ["git", *args],
        cwd=repository,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def copy_of_checkout(destination: Path) -> Path:
    """The checkout's files (tracked and untracked, not ignored) committed into a new repository.

    `.venv` is linked, not copied, so `make` and `python -m` run with the installed packages.
    """
    listed = git(PROJECT_DIR, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = PROJECT_DIR / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "--quiet", "--initial-branch=main")
    # `.venv/` in .gitignore matches a folder, not a link to one.
    (destination / ".git" / "info" / "exclude").write_text(".venv\n")
    (destination / ".venv").symlink_to(VENV)
    git(destination, "add", "--all")
    git(destination, "commit", "--quiet", "--message", "base")
    return destination


def set_config(stack_file: Path, key: str, value: str) -> None:
    """What `pulumi config set <key> <value>` does to a stack file: one value, quoted as text."""
    lines = stack_file.read_text().splitlines()
    entry = f"  {key}: {value!r}".replace("'", '"')
    found = [i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:")]
    if found:
        lines[found[0]] = entry
    else:
        lines.append(entry)
    stack_file.write_text("\n".join(lines) + "\n")


def age_requirements(repository: Path) -> None:
    """Make the copy's requirements older than the venv's stamp: `make` must not reinstall."""
    stamp = (VENV / ".installed-stamp").stat().st_mtime
    for requirements in repository.glob("requirements*.txt"):
        os.utime(requirements, (stamp - 60, stamp - 60))
