"""`circularity reconcile`: reconcile a flow file and write the result, as its spec says."""

import json
import sys

import click

from mfa.errors import InputError
from mfa.reconcile import reconcile as reconcile_system
from mfa.reconcile_io import read_flows, reconciled_to_dict


@click.command("reconcile")
@click.argument("flows", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the result here instead of standard output.",
)
def reconcile(flows: str, output: str | None) -> None:
    """Reconcile FLOWS.json (circularity.flows/1) and write circularity.reconciled/1 JSON.

    Bad input exits with status 2 and one line naming the file, the record and the field.
    """
    try:
        if flows == "-":
            text = sys.stdin.buffer.read()
        else:
            with open(flows, "rb") as handle:
                text = handle.read()
    except OSError as exc:
        click.echo(f"error: {flows}: cannot read: {exc.strerror}", err=True)
        sys.exit(2)
    try:
        result = reconciled_to_dict(reconcile_system(read_flows(text, source=flows)))
    except InputError as exc:
        # One line, no traceback: the person fixing the file needs the place, not our stack.
        click.echo(f"error: {flows}: {exc}", err=True)
        sys.exit(2)
    document = json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False)
    if output is None:
        click.echo(document)
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(document + "\n")
