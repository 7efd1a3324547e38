"""The README documents every command and setting, so the docs cannot fall behind."""

import re
from pathlib import Path

from circularity import config
from circularity.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented():
    import click

    for name in cli.list_commands(click.Context(cli)):
        assert cli.get_command(click.Context(cli), name).name == name
        assert f"`circularity {name}" in README, name


def test_every_setting_is_documented():
    """One row per setting, marked "(instance config)" when no environment variable sets it."""
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = {row.split("|")[1]: row for row in table.splitlines() if row.startswith("| `")}
    documented = set(re.findall(r"`([A-Z_]+)`", "".join(names)))
    assert documented == set(config.SETTINGS)
    for name, setting in config.SETTINGS.items():
        (row,) = [row for cell, row in names.items() if f"`{name}`" in cell]
        assert ("(instance config)" in row) != setting.environment, name


def test_quick_start_has_exactly_two_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = quick.split("```sh")[1:]
    assert len(commands) == 2
    assert "circularity demo" in commands[0] and "pytest" in commands[1]
