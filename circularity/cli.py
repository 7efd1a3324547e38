"""The `circularity` command line: serve the app, run the demo park, work on files."""

import click

from circularity.commands.app import create_user, epcis_command, init_db, labels_command, verify
from circularity.commands.demo import demo, seed_demo, serve


@click.group()
def cli() -> None:
    """circularity: traceable, circular material flows for an industrial park."""


for command in (
    init_db,
    create_user,
    verify,
    labels_command,
    epcis_command,
    demo,
    seed_demo,
    serve,
):
    cli.add_command(command)

# Subcommands register below, one line each.
from circularity.commands.match import match  # noqa: E402

cli.add_command(match)
from circularity.commands.reconcile import reconcile  # noqa: E402

cli.add_command(reconcile)
from circularity.commands.carbon import credit, import_factors, import_inventory  # noqa: E402

for command in (credit, import_factors, import_inventory):
    cli.add_command(command)
