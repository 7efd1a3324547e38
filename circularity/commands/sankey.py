"""`circularity sankey`: draw a Sankey diagram from a links file, as the analysis page does.

The links come as the page's CSV or JSON download (``circularity.sankey/1``), edited or made
elsewhere; the diagram goes out as SVG, PNG, CSV or JSON, the format chosen by ``--format`` or
the output's extension.
"""

import json
import math
from pathlib import PurePath

import click

from circularity.commands.files import fail, read_input, write_output
from circularity.fonts import FONT_FILE
from mfa.errors import InputError
from mfa.sankey import SankeyLayout, layout, to_svg
from mfa.sankey_io import links_from_csv, links_from_json, to_csv, to_json, to_png

FORMATS = ("svg", "png", "csv", "json")


@click.command("sankey")
@click.argument("links", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", help="Write the diagram here instead of standard output.")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="svg, png, csv or json; by default the output's extension, else svg.",
)
@click.option("--title", default="", help="The SVG's title.")
def sankey(links: str, output: str | None, fmt: str | None, title: str) -> None:
    """Draw LINKS (the CSV or JSON of a Sankey download) as SVG, PNG, CSV or JSON.

    Bad input exits with status 2 and one line naming the file, the record and the field.
    """
    fmt = fmt or _format_of(output)
    data = read_input(links)
    try:
        parsed = _read(links, data)
        diagram = layout(parsed)
        _check_finite(diagram)
    except InputError as exc:
        fail(links, str(exc))
    if fmt == "svg":
        body = to_svg(diagram, title=title).encode("utf-8")
    elif fmt == "png":
        body = to_png(diagram, font_file=FONT_FILE)
    elif fmt == "csv":
        body = to_csv(diagram).encode("utf-8")
    else:
        body = (json.dumps(to_json(diagram), ensure_ascii=False, indent=1) + "\n").encode()
    write_output(output, body)


def _format_of(output: str | None) -> str:
    suffix = PurePath(output).suffix.lower().lstrip(".") if output and output != "-" else ""
    return suffix if suffix in FORMATS else "svg"


def _read(name: str, data: bytes):
    """JSON when the file says so (its name or its first character), else the CSV."""
    looks_json = name.lower().endswith(".json") or data.lstrip()[:1] in (b"{", b"[")
    if looks_json:
        return links_from_json(data, source="links")
    return links_from_csv(data, source="links")


def _check_finite(diagram: SankeyLayout) -> None:
    """A layout with an infinite or NaN coordinate cannot be drawn: say so, do not draw it."""
    numbers = [diagram.width, diagram.height]
    for node in diagram.nodes.values():
        numbers += [node.x, node.y, node.height]
    for placed in diagram.links:
        numbers.append(placed.width)
        numbers += [v for point in placed.points for v in point]
    if not all(math.isfinite(v) for v in numbers):
        raise InputError("links", "value", "the values are too far apart to draw")
