"""`circularity match`: solve a market file and write the result file, as the matching spec says."""

import json
import sys

import click

from circularity.commands.files import write_output
from mfa.errors import InputError


def result_text(result: dict) -> str:
    """The result as JSON, one field per line and one match or unmatched offer per line:
    readable, and written by json's C encoder, built once (`indent=` switches json to its
    pure-Python encoder, and `json.dumps` with options builds an encoder per call: together a
    tenth of a park's whole run)."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    fields = []
    for key, value in result.items():
        if isinstance(value, list) and value:
            text = "[\n  " + ",\n  ".join(map(encode, value)) + "\n ]"
        else:
            text = encode(value)
        fields.append(f"{encode(key)}: {text}")
    return "{" + ",\n ".join(fields) + "}"


@click.command("match")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    help="Write the result here instead of standard output (whole or not at all).",
)
def match(instance: str, output: str | None) -> None:
    """Find the exchanges that save the most CO2 in INSTANCE.json (circularity.match-instance/1).

    Writes circularity.match-result/1 JSON. Bad input exits with status 2 and one line naming the
    file, the record and the field.
    """
    # Imported here so that every other `circularity` command starts without scipy's optimiser.
    from mfa.matching import load_instance
    from mfa.matching import match as solve_market

    try:
        result = solve_market(load_instance(instance)).to_json()
    except InputError as exc:
        # One line, no traceback: the person fixing the file needs the place, not our stack.
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    write_output(output, (result_text(result) + "\n").encode("utf-8"))
