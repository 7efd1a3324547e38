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


def test_every_environment_setting_is_documented():
    documented = {
        "DATABASE_URL",
        "BASE_URL",
        "SECRET_KEY",
        "LOGIN_RATE_LIMIT",
        "RATELIMIT_STORAGE_URI",
        "PARK_TIMEZONE",
    }
    source = Path(config.__file__).read_text(encoding="utf-8")

    read = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source))
    assert read <= documented
    for name in documented:
        assert f"`{name}`" in README, name


def test_quick_start_has_exactly_two_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = quick.split("```sh")[1:]
    assert len(commands) == 2
    assert "circularity demo" in commands[0] and "pytest" in commands[1]
