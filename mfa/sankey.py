"""Sankey diagrams of the park's flows that keep recycling loops visible.

A Sankey layout needs flows that run left to right, but a circular park has loops: scrap goes
to a recycler whose recyclate comes back. As d3-sankey-circular does, a small set of links is
chosen whose removal leaves the graph acyclic (a feedback arc set, found with the greedy
heuristic of Eades, Lin and Smyth 1993, weighted by mass so that the lightest links are the ones
turned back); those links are drawn as loops that leave a node to the right, run below the
diagram and re-enter their target from the left. Everything else is the usual layout: columns by
longest path, node heights proportional to mass, a few barycentre sweeps to untangle.

The layout is deterministic (sorted names, no randomness), so the same flows always give the same
picture, byte for byte. Output is plain SVG text (labels escaped), a PNG drawn with Pillow, and
CSV and JSON of the links (mfa.sankey_io).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from mfa.errors import InputError
from mfa.model import Flow, aggregate

PALETTE = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
    "#b2df8a", "#fb9a99", "#cab2d6", "#6a3d9a",
)  # fmt: skip


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


@dataclass
class PlacedLink:
    link: SankeyLink
    circular: bool
    width: float = 0.0
    y0: float = 0.0
    y1: float = 0.0
    lane: float = 0.0
    offset: float = 0.0
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class SankeyLayout:
    """Positions of nodes and links in pixels; ``height`` includes the loop lanes below."""

    nodes: dict[str, PlacedNode]
    links: list[PlacedLink]
    width: float
    height: float
    node_width: float


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
    width: float = 960,
    height: float = 540,
    node_width: float = 14,
    padding: float = 14,
    sweeps: int = 6,
) -> SankeyLayout:
    """Place nodes and links; ``height`` is for the nodes, loop lanes are added below.

    Links are laid out in sorted order whatever order they come in, so the picture depends on
    the flows only.
    """
    if not links:
        return SankeyLayout({}, [], width, 0.0, node_width)
    links = sorted(links, key=lambda x: (x.source, x.target, x.material, x.value))
    back = feedback_links(links)
    placed = [PlacedLink(link, i in back) for i, link in enumerate(links)]
    forward = [p.link for p in placed if not p.circular]
    names = sorted({n for link in links for n in (link.source, link.target)})
    column = _columns(names, forward)
    inflow: dict[str, float] = defaultdict(float)
    outflow: dict[str, float] = defaultdict(float)
    for link in links:
        outflow[link.source] += link.value
        inflow[link.target] += link.value
    nodes = {n: PlacedNode(n, column[n], max(inflow[n], outflow[n])) for n in names}
    n_columns = max(column.values()) + 1
    by_column: list[list[str]] = [[] for _ in range(n_columns)]
    for n in names:
        by_column[column[n]].append(n)
    scale = min(
        (height - padding * (len(col) - 1)) / sum(nodes[n].value for n in col)
        for col in by_column
        if col
    )
    scale = max(scale, 0.0)
    step = (width - node_width) / max(n_columns - 1, 1)
    for n in names:
        nodes[n].x = column[n] * step
        nodes[n].height = max(nodes[n].value * scale, 1.0)
    _stack(by_column, nodes, padding)
    neighbours: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for link in forward:
        neighbours[link.source].append((link.target, link.value))
        neighbours[link.target].append((link.source, link.value))
    # A node's links and their weights stay the same through the sweeps; only positions move.
    weight = {n: sum(w for _, w in ws) for n, ws in neighbours.items()}
    for _ in range(sweeps):
        for col in by_column:
            col.sort(key=lambda n: (_barycentre(n, neighbours, weight, nodes), n))
        _stack(by_column, nodes, padding)
    for p in placed:
        p.width = max(p.link.value * scale, 0.5)
    _attach(placed, nodes)
    content = max((nd.y + nd.height for nd in nodes.values()), default=0.0)
    lane = content + padding
    for i, p in enumerate(pl for pl in placed if pl.circular):
        p.offset = 8 + 4 * i
        p.lane = lane + p.width / 2
        lane += p.width + 4
    for p in placed:
        p.points = _points(p, nodes, node_width)
    total = lane + (padding if any(p.circular for p in placed) else 0.0)
    return SankeyLayout(nodes, placed, width, max(total, content), node_width)


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


def _stack(by_column: list[list[str]], nodes: dict[str, PlacedNode], padding: float) -> None:
    for col in by_column:
        y = 0.0
        for n in col:
            nodes[n].y = y
            y += nodes[n].height + padding


def _barycentre(n: str, neighbours, weight, nodes) -> float:
    weights = neighbours.get(n)
    if not weights:
        return nodes[n].y
    return sum((nodes[m].y + nodes[m].height / 2) * w for m, w in weights) / weight[n]


def _attach(placed: list[PlacedLink], nodes: dict[str, PlacedNode]) -> None:
    """Stack links along each node's sides, forward links first, ordered by the other end."""
    outgoing: dict[str, list[PlacedLink]] = defaultdict(list)
    incoming: dict[str, list[PlacedLink]] = defaultdict(list)
    for p in placed:
        outgoing[p.link.source].append(p)
        incoming[p.link.target].append(p)
    for n, group in outgoing.items():
        group.sort(key=lambda p: (p.circular, nodes[p.link.target].y, p.link.target,
                                  p.link.material))  # fmt: skip
        y = nodes[n].y
        for p in group:
            p.y0 = y + p.width / 2
            y += p.width
    for n, group in incoming.items():
        group.sort(key=lambda p: (p.circular, nodes[p.link.source].y, p.link.source,
                                  p.link.material))  # fmt: skip
        y = nodes[n].y
        for p in group:
            p.y1 = y + p.width / 2
            y += p.width


def _points(p: PlacedLink, nodes: dict[str, PlacedNode], node_width: float):
    """The centre line: two points for a forward link, six corners for a loop."""
    xs = nodes[p.link.source].x + node_width
    xt = nodes[p.link.target].x
    if not p.circular:
        return [(xs, p.y0), (xt, p.y1)]
    d = p.offset + p.width / 2
    return [(xs, p.y0), (xs + d, p.y0), (xs + d, p.lane), (xt - d, p.lane), (xt - d, p.y1),
            (xt, p.y1)]  # fmt: skip


def link_path(p: PlacedLink) -> str:
    """SVG path data of a link's centre line (drawn with stroke-width = its width)."""
    pts = p.points
    if not p.circular:
        (x0, y0), (x1, y1) = pts
        xm = (x0 + x1) / 2
        return f"M{x0:.2f},{y0:.2f}C{xm:.2f},{y0:.2f} {xm:.2f},{y1:.2f} {x1:.2f},{y1:.2f}"
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


def to_svg(diagram: SankeyLayout, title: str = "", unit: str = "kg", margin: float = 10) -> str:
    """The diagram as standalone SVG text: one <path> per link, a <rect> and <text> per node."""
    label_room = 160
    w = diagram.width + 2 * margin + label_room
    h = diagram.height + 2 * margin
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.2f} {h:.2f}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<g transform="translate({margin},{margin})">',
        '<g class="links" fill="none" stroke-opacity="0.45">',
    ]
    for p in diagram.links:
        link = p.link
        key = link.material if link.material != "*" else link.source
        cls = "link circular" if p.circular else "link"
        tip = f"{link.source} → {link.target}"
        tip += f" ({link.material})" if link.material != "*" else ""
        tip += f": {link.value:,.1f} {unit}"
        out.append(
            f'<path class="{cls}" d="{link_path(p)}" stroke="{colour(key)}" '
            f'stroke-width="{p.width:.2f}"><title>{escape(tip)}</title></path>'
        )
    out.append("</g>")
    out.append('<g class="nodes">')
    for n in diagram.nodes.values():
        tx = n.x + diagram.node_width + 4
        label = f"{n.id} ({n.value:,.0f} {unit})"
        out.append(
            f'<g class="node"><rect x="{n.x:.2f}" y="{n.y:.2f}" width="{diagram.node_width:.2f}" '
            f'height="{n.height:.2f}" fill="#555"><title>{escape(label)}</title></rect>'
            f'<text x="{tx:.2f}" y="{n.y + n.height / 2:.2f}" dy="0.35em" '
            f"data-node={quoteattr(n.id)}>{escape(label)}</text></g>"
        )
    out.append("</g></g></svg>")
    return "\n".join(out)
