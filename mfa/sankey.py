"""Sankey diagrams of the park's flows that keep recycling loops visible and every label legible.

A Sankey layout needs flows that run left to right, but a circular park has loops: scrap goes
to a recycler whose recyclate comes back. As d3-sankey-circular does, a small set of links is
chosen whose removal leaves the graph acyclic (a feedback arc set, found with the greedy
heuristic of Eades, Lin and Smyth 1993, weighted by mass so that the lightest links are the ones
turned back); those links are drawn as loops that leave a node to the right, run below the
diagram and re-enter their target from the left.

The rest is a layered drawing in the manner of Sugiyama, Tagawa and Toda (1981): columns by
longest path, and a link that spans several columns passes each column between them through a
slot of its own (a "waypoint"), so it never runs through a node. Nodes are boxes that hold their
own label (the name, wrapped, and the mass), as ggalluvial draws labelled strata: a label beside
a node would lie on the node's ribbons, which a box cannot. So, by construction:

- boxes and waypoints of a column are stacked with padding and never overlap;
- a ribbon's curves run only in the gutters between columns, its straight parts only through
  its own waypoints; a loop's vertical legs run in gutters kept wide enough for them, its
  horizontal leg in a lane of its own below every box;
- a label is wrapped, and cut with an ellipsis, to the width of its box, as measured by the
  renderer's ``measure`` (a font's own metrics for PNG, a cautious estimate for SVG, whose
  browser font is unknown), and the box is tall enough for two lines;
- the drawing's width and height hold every box, ribbon and lane, margins included.

No maintained Python library lays out Sankey diagrams (d3-sankey and d3-sankey-circular are
JavaScript and draw labels beside nodes, over the ribbons), hence this module.

The layout is deterministic (sorted names, no randomness), so the same flows always give the same
picture, byte for byte. Output is plain SVG text (labels escaped, optional links per ribbon and
per node), a PNG drawn with Pillow, and CSV and JSON of the links (mfa.sankey_io).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from mfa.errors import InputError
from mfa.model import Flow, aggregate

PALETTE = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
    "#b2df8a", "#fb9a99", "#cab2d6", "#6a3d9a",
)  # fmt: skip

#: Width of a node's box (px): about 18 Latin or 10 Chinese characters of an 11 px font a line.
NODE_WIDTH = 128.0
#: The least gutter between two columns (px), for the ribbons' curves to be seen as curves.
MIN_GAP = 64.0
#: Font size and line height of the labels (px); a box holds at least two lines.
FONT_SIZE = 11.0
LINE_HEIGHT = 13.0
TEXT_INSET = 4.0
MIN_NODE_HEIGHT = 2 * LINE_HEIGHT + TEXT_INSET
#: How much taller than its boxes' least heights the fullest column is drawn (see _scale).
HEIGHT_GROWTH = 1.4
#: A name takes at most this many lines of its box; a longer one is cut with "…".
MAX_NAME_LINES = 3
#: The space a loop's leg keeps from the next one and from a box (px).
LEG_SPACING = 3.0
LEG_INSET = 6.0

Measure = Callable[[str], float]


@dataclass(frozen=True)
class SankeyLink:
    """One ribbon: mass from source to target (kg), for one material or "*" for all."""

    source: str
    target: str
    value: float
    material: str = "*"


@dataclass
class PlacedNode:
    id: str
    column: int
    value: float
    x: float = 0.0
    y: float = 0.0
    height: float = 0.0
    #: The name the box shows (the id unless the caller gave labels).
    label: str = ""


@dataclass
class PlacedLink:
    link: SankeyLink
    circular: bool
    width: float = 0.0
    y0: float = 0.0
    y1: float = 0.0
    lane: float = 0.0
    offset: float = 0.0
    #: The ribbon's centre line. A forward link: its start, then the left and right end of each
    #: waypoint, then its end (curves from an even to an odd index, straight lines the other
    #: way). A loop: six corners.
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class SankeyLayout:
    """Positions of nodes and links in pixels; ``width`` and ``height`` hold everything drawn
    (boxes, ribbons, loop legs and lanes), so a renderer adds only its margin."""

    nodes: dict[str, PlacedNode]
    links: list[PlacedLink]
    width: float
    height: float
    node_width: float

    def label(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        return node.label if node is not None and node.label else node_id


@dataclass
class _Slot:
    """A place in a column: a node's box, or the waypoint of a link crossing the column."""

    key: str
    column: int
    height: float = 0.0
    node: PlacedNode | None = None
    #: For a waypoint: the index of its link in the layout's list.
    link: int = -1
    y: float = 0.0

    @property
    def centre(self) -> float:
        return self.y + self.height / 2


def sankey_links(
    flows: Iterable[Flow], by: str = "company", min_kg: float = 0.0
) -> list[SankeyLink]:
    """Links from flows: summed per source and target (``by="company"``) or per material."""
    if by not in ("company", "material"):
        raise InputError("sankey", "by", f"must be 'company' or 'material', not {by!r}")
    merged = aggregate(flows, by=by)
    links = [
        SankeyLink(f.source, f.target, f.mass_kg, f.material)
        for f in merged
        if f.mass_kg > min_kg and f.mass_kg > 0
    ]
    return sorted(links, key=lambda link: (link.source, link.target, link.material))


def feedback_links(links: list[SankeyLink]) -> set[int]:
    """Indices of links to draw as loops: a light feedback arc set (Eades-Lin-Smyth, weighted).

    Nodes are peeled off as sinks (to the right end) or sources (to the left end); when neither
    exists, the node whose outflow most exceeds its inflow goes left. Links that then point
    right-to-left, and self-loops, form the set; what remains is acyclic.
    """
    out_w: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    in_w: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    nodes = sorted({n for link in links for n in (link.source, link.target)})
    for link in links:
        if link.source != link.target:
            out_w[link.source][link.target] += link.value
            in_w[link.target][link.source] += link.value
    remaining = set(nodes)
    left: list[str] = []
    right: list[str] = []

    def remove(node: str) -> None:
        remaining.discard(node)
        for t in out_w.pop(node, {}):
            in_w[t].pop(node, None)
        for s in in_w.pop(node, {}):
            out_w[s].pop(node, None)

    while remaining:
        sinks = sorted(n for n in remaining if not out_w.get(n))
        if sinks:
            for n in sinks:
                right.append(n)
                remove(n)
            continue
        sources = sorted(n for n in remaining if not in_w.get(n))
        if sources:
            for n in sources:
                left.append(n)
                remove(n)
            continue
        best = max(
            sorted(remaining),
            key=lambda n: sum(out_w[n].values()) - sum(in_w[n].values()),
        )
        left.append(best)
        remove(best)
    rank = {n: i for i, n in enumerate(left + right[::-1])}
    return {i for i, link in enumerate(links) if rank[link.source] >= rank[link.target]}


def layout(
    links: list[SankeyLink],
    width: float | None = None,
    height: float = 540,
    node_width: float = NODE_WIDTH,
    padding: float = 8,
    sweeps: int = 8,
    labels: Mapping[str, str] | None = None,
) -> SankeyLayout:
    """Place nodes and links.

    ``height`` is what the fullest column aims at; it grows when that column's boxes need
    more (each box tall enough for its name, up to MAX_NAME_LINES lines, and its amount).
    ``width`` is a least width: gutters are at least MIN_GAP, and wider where loops need room
    for their legs. ``labels`` maps node ids to the names shown.

    Links are laid out in sorted order whatever order they come in, so the picture depends on
    the flows only.
    """
    labels = labels or {}
    if not links:
        return SankeyLayout({}, [], width or 0.0, 0.0, node_width)
    links = sorted(links, key=lambda x: (x.source, x.target, x.material, x.value))
    back = feedback_links(links)
    placed = [PlacedLink(link, i in back) for i, link in enumerate(links)]
    names = sorted({n for link in links for n in (link.source, link.target)})
    column = _columns(names, [p.link for p in placed if not p.circular])
    inflow: dict[str, float] = defaultdict(float)
    outflow: dict[str, float] = defaultdict(float)
    for link in links:
        outflow[link.source] += link.value
        inflow[link.target] += link.value
    nodes = {
        n: PlacedNode(n, column[n], max(inflow[n], outflow[n]), label=labels.get(n, n))
        for n in names
    }
    n_columns = max(column.values()) + 1
    by_column, chains = _slots(placed, nodes, n_columns)
    inner = node_width - 2 * TEXT_INSET
    least = {n: box_height(nodes[n].label, inner) for n in names}
    scale = _scale(by_column, placed, least, height, padding)
    for slot in (s for col in by_column for s in col):
        if slot.node is not None:
            slot.height = slot.node.height = max(slot.node.value * scale, least[slot.node.id])
    sides: dict[tuple[str, str], float] = defaultdict(float)
    for i, p in enumerate(placed):
        p.width = max(p.link.value * scale, 0.5)
        sides[p.link.source, "out"] += p.width
        sides[p.link.target, "in"] += p.width
        for slot in chains.get(i, [])[1:-1]:
            slot.height = p.width
    for slot in (s for col in by_column for s in col):
        if slot.node is not None:  # a ribbon is at least 0.5 px: room for them all
            n = slot.node.id
            slot.height = slot.node.height = max(slot.height, sides[n, "out"], sides[n, "in"])
    _order(by_column, chains, placed, padding, sweeps)
    for slot in (s for col in by_column for s in col):
        if slot.node is not None:
            slot.node.y = slot.y
    _attach(placed, nodes, chains)
    content = max(s.y + s.height for col in by_column for s in col)
    loops = sorted(
        (p for p in placed if p.circular),
        key=lambda p: (
            column[p.link.source] - column[p.link.target],
            p.link.source,
            p.link.target,
            p.link.material,
        ),
    )
    lane = content + padding
    legs_out: dict[int, float] = defaultdict(float)  # per column, room the legs take
    legs_in: dict[int, float] = defaultdict(float)
    leg_in: dict[int, float] = {}
    for p in loops:  # shortest loops innermost: nearest the boxes, legs nearest the columns
        p.lane = lane + p.width / 2
        lane += p.width + LEG_SPACING
        cs, ct = column[p.link.source], column[p.link.target]
        p.offset = LEG_INSET + legs_out[cs]
        legs_out[cs] += p.width + LEG_SPACING
        leg_in[id(p)] = LEG_INSET + legs_in[ct] + p.width / 2
        legs_in[ct] += p.width + LEG_SPACING
    room = [
        (LEG_INSET + legs_out[c] if legs_out[c] else 0.0)
        + (LEG_INSET + legs_in[c + 1] if legs_in[c + 1] else 0.0)
        for c in range(n_columns - 1)
    ]
    gap = max([MIN_GAP, *room])
    if width is not None and n_columns > 1:
        gap = max(gap, (width - n_columns * node_width) / (n_columns - 1))
    left = LEG_INSET + legs_in[0] if legs_in[0] else 0.0
    right = LEG_INSET + legs_out[n_columns - 1] if legs_out[n_columns - 1] else 0.0

    def x_of(c: int) -> float:
        return left + c * (node_width + gap)

    for n in nodes.values():
        n.x = x_of(n.column)
    for i, p in enumerate(placed):
        chain = chains.get(i, [])
        p.points = _points(p, nodes, node_width, chain, x_of, leg_in.get(id(p), 0.0))
    total_width = left + n_columns * node_width + (n_columns - 1) * gap + right
    total_height = lane if loops else content
    return SankeyLayout(nodes, placed, max(total_width, width or 0.0), total_height, node_width)


def _columns(names: list[str], forward: list[SankeyLink]) -> dict[str, int]:
    """Longest-path columns; nodes without outgoing links go to the last column (justify)."""
    succ: dict[str, list[str]] = defaultdict(list)
    indeg = {n: 0 for n in names}
    for link in forward:
        succ[link.source].append(link.target)
        indeg[link.target] += 1
    column = dict.fromkeys(names, 0)
    ready = sorted(n for n in names if indeg[n] == 0)
    while ready:
        n = ready.pop(0)
        for t in sorted(succ[n]):
            column[t] = max(column[t], column[n] + 1)
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    last = max(column.values())
    for n in names:
        if not succ[n]:
            column[n] = last
    return column


def _slots(
    placed: list[PlacedLink], nodes: dict[str, PlacedNode], n_columns: int
) -> tuple[list[list[_Slot]], dict[int, list[_Slot]]]:
    """Every column's slots, and for each forward link the chain of slots it passes: its
    source's box, a waypoint in each column between, its target's box."""
    by_column: list[list[_Slot]] = [[] for _ in range(n_columns)]
    boxes = {}
    for n in sorted(nodes):
        boxes[n] = _Slot("0" + n, nodes[n].column, node=nodes[n])
        by_column[nodes[n].column].append(boxes[n])
    chains: dict[int, list[_Slot]] = {}
    for i, p in enumerate(placed):
        if p.circular:
            continue
        source, target = nodes[p.link.source], nodes[p.link.target]
        chain = [boxes[source.id]]
        for c in range(source.column + 1, target.column):
            waypoint = _Slot(f"1{i:09d}", c, link=i)
            by_column[c].append(waypoint)
            chain.append(waypoint)
        chains[i] = [*chain, boxes[target.id]]
    return by_column, chains


def _scale(
    by_column: list[list[_Slot]],
    placed: list[PlacedLink],
    least: dict[str, float],
    height: float,
    padding: float,
) -> float:
    """Pixels per kg: the largest scale at which the fullest column fits the height, each box
    at least its ``least`` height. When the least heights and padding alone take more than
    1 / HEIGHT_GROWTH of the height, the height grows to HEIGHT_GROWTH times them, so that
    masses still set part of it."""
    masses = [
        (
            [(s.node.value, least[s.node.id]) for s in col if s.node is not None],
            [placed[s.link].link.value for s in col if s.node is None],
        )
        for col in by_column
    ]
    floor = max(padding * (len(b) + len(w)) + sum(m for _v, m in b) for b, w in masses)
    target = max(height, HEIGHT_GROWTH * floor)

    def tallest(scale: float) -> float:
        return max(
            sum(max(v * scale, m) for v, m in b)
            + sum(max(v * scale, 0.5) for v in w)
            + padding * (len(b) + len(w) - 1)
            for b, w in masses
        )

    high = max(target / max(sum(v for v, _m in b) + sum(w), 1e-12) for b, w in masses)
    low = 0.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if tallest(mid) <= target else (low, mid)
    return low


def _order(
    by_column: list[list[_Slot]],
    chains: dict[int, list[_Slot]],
    placed: list[PlacedLink],
    padding: float,
    sweeps: int,
) -> None:
    """Order each column by the weighted barycentre of its slots' neighbours, a few sweeps
    from left to right and back, then stack it."""
    neighbours: dict[int, list[tuple[_Slot, float]]] = defaultdict(list)
    for i, chain in chains.items():
        value = placed[i].link.value
        for a, b in zip(chain, chain[1:], strict=False):
            neighbours[id(a)].append((b, value))
            neighbours[id(b)].append((a, value))

    def barycentre(slot: _Slot) -> float:
        around = neighbours.get(id(slot))
        if not around:
            return slot.centre
        return sum(s.centre * w for s, w in around) / sum(w for _s, w in around)

    _stack(by_column, padding)
    for sweep in range(sweeps):
        columns = by_column if sweep % 2 == 0 else by_column[::-1]
        for col in columns:
            col.sort(key=lambda s: (barycentre(s), s.key))  # noqa: B023 - used at once
            _stack([col], padding)


def _stack(by_column: list[list[_Slot]], padding: float) -> None:
    for col in by_column:
        y = 0.0
        for slot in col:
            slot.y = y
            y += slot.height + padding


def _attach(
    placed: list[PlacedLink], nodes: dict[str, PlacedNode], chains: dict[int, list[_Slot]]
) -> None:
    """Stack links along each node's sides, centred on the box: forward links ordered by where
    they go (or come from), loops last, at the bottom, on their way to the lanes below."""
    outgoing: dict[str, list[tuple[float, str, PlacedLink]]] = defaultdict(list)
    incoming: dict[str, list[tuple[float, str, PlacedLink]]] = defaultdict(list)
    for i, p in enumerate(placed):
        chain = chains.get(i)
        after = chain[1].centre if chain else float("inf")
        before = chain[-2].centre if chain else float("inf")
        outgoing[p.link.source].append((after, p.link.target + "\0" + p.link.material, p))
        incoming[p.link.target].append((before, p.link.source + "\0" + p.link.material, p))
    for group, end in ((outgoing, "y0"), (incoming, "y1")):
        for n, items in group.items():
            items.sort(key=lambda t: (t[2].circular, t[0], t[1]))
            node = nodes[n]
            y = node.y + (node.height - sum(t[2].width for t in items)) / 2
            for _key, _name, p in items:
                setattr(p, end, y + p.width / 2)
                y += p.width


def _points(
    p: PlacedLink,
    nodes: dict[str, PlacedNode],
    node_width: float,
    chain: list[_Slot],
    x_of: Callable[[int], float],
    leg_in: float,
) -> list[tuple[float, float]]:
    """The centre line: start, both ends of each waypoint, end; or a loop's six corners."""
    xs = nodes[p.link.source].x + node_width
    xt = nodes[p.link.target].x
    if not p.circular:
        points = [(xs, p.y0)]
        for slot in chain[1:-1]:
            x = x_of(slot.column)
            points += [(x, slot.centre), (x + node_width, slot.centre)]
        return [*points, (xt, p.y1)]
    d = p.offset + p.width / 2
    return [
        (xs, p.y0),
        (xs + d, p.y0),
        (xs + d, p.lane),
        (xt - leg_in, p.lane),
        (xt - leg_in, p.y1),
        (xt, p.y1),
    ]


def link_path(p: PlacedLink) -> str:
    """SVG path data of a link's centre line (drawn with stroke-width = its width)."""
    pts = p.points
    if not p.circular:
        parts = [f"M{pts[0][0]:.2f},{pts[0][1]:.2f}"]
        for j in range(1, len(pts)):
            (x0, y0), (x1, y1) = pts[j - 1], pts[j]
            if j % 2:
                xm = (x0 + x1) / 2
                parts.append(f"C{xm:.2f},{y0:.2f} {xm:.2f},{y1:.2f} {x1:.2f},{y1:.2f}")
            else:
                parts.append(f"L{x1:.2f},{y1:.2f}")
        return "".join(parts)
    parts = [f"M{pts[0][0]:.2f},{pts[0][1]:.2f}"]
    for i in range(1, len(pts) - 1):
        (ax, ay), (bx, by), (cx, cy) = pts[i - 1], pts[i], pts[i + 1]
        before = abs(bx - ax) + abs(by - ay)
        after = abs(cx - bx) + abs(cy - by)
        r = min(6.0, before / 2, after / 2)
        sx = bx - r * _sign(bx - ax)
        sy = by - r * _sign(by - ay)
        ex = bx + r * _sign(cx - bx)
        ey = by + r * _sign(cy - by)
        parts.append(f"L{sx:.2f},{sy:.2f}Q{bx:.2f},{by:.2f} {ex:.2f},{ey:.2f}")
    parts.append(f"L{pts[-1][0]:.2f},{pts[-1][1]:.2f}")
    return "".join(parts)


def _sign(v: float) -> float:
    return (v > 0) - (v < 0)


def colour(key: str) -> str:
    """A stable colour for a material or node name (CRC32, not Python's salted hash)."""
    return PALETTE[zlib.crc32(key.encode("utf-8")) % len(PALETTE)]


def estimate_width(text: str, size: float = FONT_SIZE) -> float:
    """A cautious width of ``text`` in a sans-serif font of ``size`` px, for SVG whose
    browser font is not known: 0.62 em a narrow character (wider than the average Latin
    letter of common sans-serif fonts), 1 em a wide one (Chinese, full-width forms)."""
    return sum(size * (1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.62) for ch in text)


def node_lines(
    label: str, amount: str, box_height: float, inner_width: float, measure: Measure
) -> list[str]:
    """The lines a box shows: its name wrapped to the width (cut with "…" when the box has no
    more lines), then its amount. Every line fits ``inner_width`` as ``measure`` measures."""
    room = min(max(int((box_height - TEXT_INSET) // LINE_HEIGHT), 2) - 1, MAX_NAME_LINES)
    lines = _wrap(label, inner_width, measure)
    if len(lines) > room:
        rest = " ".join(lines[room - 1 :])
        lines = [*lines[: room - 1], _cut(rest, inner_width, measure)]
    return [*lines, _cut(amount, inner_width, measure)]


def box_height(label: str, inner_width: float, measure: Measure | None = None) -> float:
    """The least height of a box that shows its whole name (up to MAX_NAME_LINES) and amount."""
    lines = len(_wrap(label, inner_width, measure or estimate_width))
    return (min(lines, MAX_NAME_LINES) + 1) * LINE_HEIGHT + TEXT_INSET


def _wrap(text: str, inner_width: float, measure: Measure) -> list[str]:
    """Greedy line breaking at spaces (or between any two characters of a word too wide for
    a line, as Chinese is written without spaces)."""
    words = _words(text, inner_width, measure)
    lines: list[str] = []
    while words:
        line = words.pop(0)
        while words and measure((line + words[0]).rstrip()) <= inner_width:
            line += words.pop(0)
        lines.append(line.rstrip())
    return lines or [""]


def _words(text: str, inner_width: float, measure: Measure) -> list[str]:
    """Words with their trailing space; a word wider than a line (or Chinese, written without
    spaces) is broken into characters."""
    out = []
    for word in re.findall(r"\S+\s*", text.strip()) or [""]:
        if measure(word.rstrip()) <= inner_width:
            out.append(word)
        else:
            out.extend(word)
    return out


def _cut(text: str, inner_width: float, measure: Measure) -> str:
    text = text.rstrip()
    if measure(text) <= inner_width:
        return text
    while text and measure(text + "…") > inner_width:
        text = text[:-1]
    return text.rstrip() + "…"


def to_svg(
    diagram: SankeyLayout,
    title: str = "",
    unit: str = "kg",
    margin: float = 10,
    amount: Callable[[float], str] | None = None,
    link_href: Callable[[SankeyLink], str | None] | None = None,
    node_href: Callable[[str], str | None] | None = None,
) -> str:
    """The diagram as standalone SVG text: one <path> per link, a box with its label per node.

    ``amount`` writes a mass in kg as the reader reads it (by default grouped kg); with
    ``link_href`` each ribbon, with ``node_href`` each box, is a link (to the batches behind a
    flow, to a company's own analysis).
    """
    amount = amount or (lambda kg: f"{kg:,.0f} {unit}")
    w = diagram.width + 2 * margin
    h = diagram.height + 2 * margin
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.2f} {h:.2f}" font-family="sans-serif" font-size="{FONT_SIZE:g}">',
        f"<title>{escape(title)}</title>",
        f'<g transform="translate({margin},{margin})">',
        '<g class="links" fill="none" stroke-opacity="0.45">',
    ]
    for p in diagram.links:
        link = p.link
        key = link.material if link.material != "*" else link.source
        cls = "link circular" if p.circular else "link"
        tip = f"{diagram.label(link.source)} → {diagram.label(link.target)}"
        tip += f" ({link.material})" if link.material != "*" else ""
        tip += f": {amount(link.value)}"
        path = (
            f'<path class="{cls}" d="{link_path(p)}" stroke="{colour(key)}" '
            f'stroke-width="{p.width:.2f}"><title>{escape(tip)}</title></path>'
        )
        href = link_href(link) if link_href else None
        out.append(f"<a href={quoteattr(href)}>{path}</a>" if href else path)
    out.append("</g>")
    out.append('<g class="nodes">')
    inner = diagram.node_width - 2 * TEXT_INSET
    for n in diagram.nodes.values():
        lines = node_lines(n.label or n.id, amount(n.value), n.height, inner, estimate_width)
        top = n.y + (n.height - len(lines) * LINE_HEIGHT) / 2
        text = "".join(
            f'<tspan x="{n.x + TEXT_INSET:.2f}" y="{top + (k + 1) * LINE_HEIGHT - 3:.2f}">'
            f"{escape(line)}</tspan>"
            for k, line in enumerate(lines)
        )
        box = (
            f'<rect x="{n.x:.2f}" y="{n.y:.2f}" width="{diagram.node_width:.2f}" '
            f'height="{n.height:.2f}" fill="#f6f6f6" stroke="#555" rx="2"/>'
            f'<text data-node={quoteattr(n.id)} fill="#222">{text}</text>'
        )
        tip = f"<title>{escape(f'{n.label or n.id}: {amount(n.value)}')}</title>"
        href = node_href(n.id) if node_href else None
        body = f"<a href={quoteattr(href)}>{tip}{box}</a>" if href else f"{tip}{box}"
        out.append(f'<g class="node">{body}</g>')
    out.append("</g></g></svg>")
    return "\n".join(out)
