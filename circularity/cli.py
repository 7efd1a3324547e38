"""The `circularity` command line: serve the app, run the demo park, work on files."""

import click


@click.group()
def cli() -> None:
    """circularity: traceable, circular material flows for an industrial park."""


# Subcommands register below, one line each.
from circularity.commands.match import match
cli.add_command(match)
