"""The README's config table and Pulumi.yaml say the same; the program reads exactly those keys."""

from __future__ import annotations

from infra.config import CONFIG_KEYS, PROJECT_DIR
from infra.config_table import END, START, render_config_table
from infra.stack_files import project_schema


def test_readme_config_table_matches_pulumi_yaml() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    table = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == render_config_table(), "run: python -m infra.config_table --write"


def test_every_declared_key_is_read_by_the_program_and_vice_versa() -> None:
    assert set(project_schema()) == set(CONFIG_KEYS)


def test_every_declared_key_has_type_and_description() -> None:
    for key, spec in project_schema().items():
        assert spec.get("type") in {"string", "integer", "boolean", "array"}, key
        assert len(str(spec.get("description", ""))) > 20, key


def test_readme_shows_the_two_commands() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
