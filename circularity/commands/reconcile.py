"""`circularity reconcile`: reconcile a flow file and write the result, as its spec says."""

import json

import click

from circularity.commands.files import fail, read_input, write_output
from mfa.errors import InputError
from mfa.reconcile import reconcile as reconcile_system
from mfa.reconcile_io import read_flows, reconciled_to_dict


@click.command("reconcile")
@click.argument("flows", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--output",
    help="Write the result here instead of standard output.",
)
def reconcile(flows: str, output: str | None) -> None:
    """Reconcile FLOWS.json (circularity.flows/1) and write circularity.reconciled/1 JSON.

    Bad input exits with status 2 and one line naming the file, the record and the field;
    the output file is written whole or not at all.
    """
    text = read_input(flows)
    try:
        result = reconciled_to_dict(reconcile_system(read_flows(text, source="(file)")))
    except InputError as exc:
        # One line, no traceback: the person fixing the file needs the place, not our stack.
        fail(flows, str(exc))
    document = json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False)
    write_output(output, (document + "\n").encode("utf-8"))
