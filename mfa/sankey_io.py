"""Sankey exports besides SVG: PNG drawn with Pillow, and the links as CSV and JSON.

PNG is drawn directly from the layout rather than by rasterising the SVG, so no cairo or browser
is needed on the server. Pillow cannot stroke Bézier curves, so each ribbon is a polyline sampled
along the same curve the SVG uses. CSV and JSON carry the numbers, so a figure can be checked or
redrawn elsewhere; both read back into the same links.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageColor, ImageDraw, ImageFont

from mfa.errors import InputError
from mfa.masses import check_mass, check_unit
from mfa.reconcile_io import parse_json
from mfa.sankey import (
    FONT_SIZE,
    LINE_HEIGHT,
    TEXT_INSET,
    SankeyLayout,
    SankeyLink,
    colour,
    node_lines,
)

SANKEY_FORMAT = "circularity.sankey/1"
CSV_FIELDS = ("source", "target", "material", "value_kg", "circular")


def to_png(
    diagram: SankeyLayout,
    scale: float = 1.0,
    margin: float = 10,
    font_file: str | None = None,
    amount: Callable[[float], str] | None = None,
) -> bytes:
    """The diagram as PNG bytes, drawn as the SVG is: boxes holding their labels.

    Labels are set in ``font_file`` (a TrueType file) when one is given, else in Pillow's
    default font, which has no Chinese glyphs: a caller with Chinese node names passes a
    font that has them. Lines are wrapped and cut by that font's own metrics.

    Ribbons are filled polygons, opaque on their own layer, which is then laid over the
    background at 45 % opacity like the SVG's stroke-opacity.
    """
    amount = amount or (lambda kg: f"{kg:,.0f} kg")
    w = int((diagram.width + 2 * margin) * scale)
    h = int((diagram.height + 2 * margin) * scale)
    image = Image.new("RGB", (max(w, 1), max(h, 1)), "white")
    layer = Image.new("RGBA", image.size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(layer)

    def xy(x: float, y: float) -> tuple[float, float]:
        return ((x + margin) * scale, (y + margin) * scale)

    for p in diagram.links:
        key = p.link.material if p.link.material != "*" else p.link.source
        fill = ImageColor.getrgb(colour(key))
        for polygon in _ribbon(p):
            draw.polygon([xy(x, y) for x, y in polygon], fill=fill)
    alpha = layer.getchannel("A").point(lambda a: a * 45 // 100)
    layer.putalpha(alpha)
    image.paste(layer, (0, 0), layer)
    draw = ImageDraw.Draw(image)
    size = FONT_SIZE * scale
    font = ImageFont.truetype(font_file, size) if font_file else ImageFont.load_default(size)

    def measure(text: str) -> float:
        return font.getlength(text) / scale

    inner = diagram.node_width - 2 * TEXT_INSET
    for n in diagram.nodes.values():
        x0, y0 = xy(n.x, n.y)
        x1, y1 = xy(n.x + diagram.node_width, n.y + n.height)
        draw.rectangle([x0, y0, x1, y1], fill="#f6f6f6", outline="#555555")
        lines = node_lines(n.label or n.id, amount(n.value), n.height, inner, measure)
        top = n.y + (n.height - len(lines) * LINE_HEIGHT) / 2
        for k, line in enumerate(lines):
            at = xy(n.x + TEXT_INSET, top + (k + 1) * LINE_HEIGHT - 3)
            draw.text(at, line, fill="#222222", font=font, anchor="ls")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _ribbon(p) -> list[list[tuple[float, float]]]:
    """Polygons covering a link: a band along its curves and straight parts, or, for a loop,
    one rectangle per straight leg of its path."""
    half = p.width / 2
    if p.circular:
        legs = []
        last = len(p.points) - 2
        for i, ((ax, ay), (bx, by)) in enumerate(zip(p.points, p.points[1:], strict=False)):
            # Each leg grows by half the width at both ends so the corners are filled, except
            # where the loop meets a node's side.
            x0, x1 = min(ax, bx), max(ax, bx)
            y0, y1 = min(ay, by), max(ay, by)
            if ay == by:
                lo = x0 if (i == 0 and x0 == ax) or (i == last and x0 == bx) else x0 - half
                hi = x1 if (i == 0 and x1 == ax) or (i == last and x1 == bx) else x1 + half
                legs.append([(lo, y0 - half), (hi, y0 - half), (hi, y0 + half), (lo, y0 + half)])
            else:
                legs.append(
                    [
                        (x0 - half, y0 - half),
                        (x0 + half, y0 - half),
                        (x0 + half, y1 + half),
                        (x0 - half, y1 + half),
                    ]
                )
        return legs
    line = [p.points[0]]
    for j in range(1, len(p.points)):
        (x0, y0), (x1, y1) = p.points[j - 1], p.points[j]
        if j % 2 == 0:  # straight through a waypoint
            line.append((x1, y1))
            continue
        xm = (x0 + x1) / 2
        for i in range(1, 33):
            t = i / 32
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3
            line.append((a * x0 + (b + c) * xm + d * x1, (a + b) * y0 + (c + d) * y1))
    top = [(x, y - half) for x, y in line]
    bottom = [(x, y + half) for x, y in line]
    return [top + bottom[::-1]]


def to_csv(diagram: SankeyLayout) -> str:
    """One row per link: source, target, material, value in kg, and whether drawn as a loop."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for p in diagram.links:
        link = p.link
        writer.writerow([diagram.label(link.source), diagram.label(link.target), link.material,
                         repr(link.value),
                         "yes" if p.circular else "no"])  # fmt: skip
    return out.getvalue()


#: The longest node or material name a links file may hold (a company name is at most 200).
MAX_NAME = 200
#: The smallest link a file may hold, in kg: below a gram there is nothing to draw.
MIN_LINK_KG = 1e-3


def links_from_csv(text: str | bytes, source: str = "sankey csv") -> list[SankeyLink]:
    """Read the links back from ``to_csv`` output, refusing what cannot be a diagram's link.

    Every problem raises InputError naming the line and the column: a cell beyond the csv
    module's field limit, a missing or extra cell, an empty or over-long name, a value that is
    not a number, not finite, below 1 g or beyond 10⁹ t (mfa.masses).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputError(source, "csv", f"not UTF-8 text ({error.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    links = []
    try:
        header = next(reader, None)
        if tuple(header or ()) != CSV_FIELDS:
            raise InputError(source, "header", f"expected {','.join(CSV_FIELDS)}")
        for row in reader:
            record = f"{source} line {reader.line_num}"
            if not row:
                continue
            if len(row) != len(CSV_FIELDS):
                raise InputError(record, "csv", f"has {len(row)} cells, not {len(CSV_FIELDS)}")
            cells = dict(zip(CSV_FIELDS, row, strict=True))
            try:
                value = float(cells["value_kg"])
            except ValueError:
                raise InputError(record, "value_kg", "is not a number") from None
            if cells["circular"] not in ("yes", "no"):
                raise InputError(record, "circular", "must be yes or no")
            links.append(
                _link(
                    record, "value_kg", cells["source"], cells["target"], cells["material"], value
                )
            )
    except csv.Error as error:
        raise InputError(f"{source} line {reader.line_num}", "csv", str(error)) from None
    return links


def _link(
    record: str, value_field: str, source: object, target: object, material: object, kg: float
) -> SankeyLink:
    for field, name in (("source", source), ("target", target), ("material", material)):
        if not isinstance(name, str) or not name.strip():
            raise InputError(record, field, "must be a non-empty name")
        if len(name) > MAX_NAME:
            raise InputError(record, field, f"is longer than {MAX_NAME} characters")
    check_mass(record, value_field, kg, "kg")
    if kg < MIN_LINK_KG:
        raise InputError(record, value_field, f"{kg:g} kg is less than 1 g")
    return SankeyLink(source, target, kg, material)


def to_json(diagram: SankeyLayout, unit: str = "kg") -> dict[str, Any]:
    """Nodes with their positions and links with their values, ready for ``json.dumps``."""
    return {
        "format": SANKEY_FORMAT,
        "unit": unit,
        "width": diagram.width,
        "height": diagram.height,
        "nodes": [
            {
                "id": diagram.label(n.id),
                "column": n.column,
                "value": n.value,
                "x": n.x,
                "y": n.y,
                "height": n.height,
            }  # fmt: skip
            for n in diagram.nodes.values()
        ],
        "links": [
            {
                "source": diagram.label(p.link.source),
                "target": diagram.label(p.link.target),
                "material": p.link.material,
                "value": p.link.value,
                "circular": p.circular,
                "width": p.width,
            }  # fmt: skip
            for p in diagram.links
        ],
    }


def links_from_json(
    data: str | bytes | dict[str, Any], source: str = "sankey json"
) -> list[SankeyLink]:
    """Read the links back from ``to_json`` output (a dict or its JSON text), in its unit.

    Refuses, with InputError naming the record and the field, what ``links_from_csv`` refuses
    and JSON that is not a ``circularity.sankey/1`` document, nests too deeply or holds NaN.
    """
    doc = parse_json(data, source) if isinstance(data, str | bytes) else data
    if not isinstance(doc, dict) or doc.get("format") != SANKEY_FORMAT:
        raise InputError(source, "format", f"expected {SANKEY_FORMAT}")
    per_kg = check_unit(source, doc.get("unit", "kg"))
    items = doc.get("links", [])
    if not isinstance(items, list):
        raise InputError(source, "links", "must be a list")
    links = []
    for i, item in enumerate(items):
        record = f"links[{i}]"
        if not isinstance(item, dict):
            raise InputError(record, "source", "a link must be an object")
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(record, "value", "is not a number")
        try:
            kg = float(value) * per_kg
        except OverflowError:
            raise InputError(record, "value", "is not a finite number") from None
        material = item.get("material", "*")
        links.append(_link(record, "value", item.get("source"), item.get("target"), material, kg))
    return links
