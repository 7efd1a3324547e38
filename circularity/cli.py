"""The `circularity` command line: serve the app, run the demo park, work on files.

Commands are imported only when one runs: the file commands (`match`, `reconcile`) need
neither Flask nor the database, and loading every command first cost about two seconds
on each call.
"""

import importlib

import click

COMMANDS = {
    "init-db": "circularity.commands.app:init_db",
    "create-user": "circularity.commands.app:create_user",
    "verify": "circularity.commands.app:verify",
    "checkpoint": "circularity.commands.records:checkpoint_command",
    "public-key": "circularity.commands.records:public_key",
    "prove": "circularity.commands.records:prove",
    "check-proof": "circularity.commands.records:check_proof",
    "labels": "circularity.commands.app:labels_command",
    "epcis": "circularity.commands.app:epcis_command",
    "demo": "circularity.commands.demo:demo",
    "seed-demo": "circularity.commands.demo:seed_demo",
    "serve": "circularity.commands.demo:serve",
    "worker": "circularity.commands.worker:worker",
    "match": "circularity.commands.match:match",
    "reconcile": "circularity.commands.reconcile:reconcile",
    "sankey": "circularity.commands.sankey:sankey",
    "credit": "circularity.commands.carbon:credit",
    "import-factors": "circularity.commands.carbon:import_factors",
    "import-inventory": "circularity.commands.carbon:import_inventory",
}


class LazyGroup(click.Group):
    """A group whose commands are named here and imported when invoked (click's recipe)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup)
def cli() -> None:
    """circularity: traceable, circular material flows for an industrial park."""
