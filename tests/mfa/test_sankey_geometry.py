"""The Sankey drawing's promises, checked on its geometry: no box or waypoint overlaps another,
ribbons curve only in the gutters, loops keep their legs in gutters and their lanes below every
box, every label fits its box, nothing lies outside the drawing, and every ribbon and company
box can be a link."""

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mfa.sankey import (
    LINE_HEIGHT,
    TEXT_INSET,
    SankeyLayout,
    SankeyLink,
    estimate_width,
    layout,
    node_lines,
    to_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
EPS = 1e-6


def columns_x(diagram: SankeyLayout) -> dict[int, float]:
    return {n.column: n.x for n in diagram.nodes.values()}


def bands(diagram: SankeyLayout) -> dict[float, list[tuple[float, float, str]]]:
    """Per column (by its x): the vertical extent of every box and every waypoint."""
    out: dict[float, list[tuple[float, float, str]]] = {}
    for n in diagram.nodes.values():
        out.setdefault(n.x, []).append((n.y, n.y + n.height, n.id))
    for p in diagram.links:
        if p.circular:
            continue
        for k in range(1, len(p.points) - 1, 2):
            (x, y), (x2, y2) = p.points[k], p.points[k + 1]
            assert y == y2 and x2 - x == pytest.approx(diagram.node_width)
            out.setdefault(x, []).append((y - p.width / 2, y + p.width / 2, "waypoint"))
    return out


def check(diagram: SankeyLayout) -> None:
    xs = columns_x(diagram)
    lefts = sorted(xs.values())
    rights = [x + diagram.node_width for x in lefts]
    # Boxes and waypoints of a column never overlap.
    for x, spans in bands(diagram).items():
        assert x in lefts
        spans.sort()
        for (_a0, a1, a), (b0, _b1, b) in zip(spans, spans[1:], strict=False):
            assert a1 <= b0 + EPS, (x, a, b)
    bottom = max(n.y + n.height for n in diagram.nodes.values())
    for p in diagram.links:
        half = p.width / 2
        if not p.circular:
            # A curve runs from one column's right edge to the next column's left edge.
            for j in range(1, len(p.points), 2):
                x0, x1 = p.points[j - 1][0], p.points[j][0]
                i = rights.index(pytest.approx(x0))
                assert x1 == pytest.approx(lefts[i + 1])
            continue
        (xs0, _), (leg_out, _), _, (leg_in, lane), _, (xt0, _) = p.points
        # The lane is below every box; the legs are inside gutters, clear of every box.
        assert lane - half > bottom
        for leg in (leg_out, leg_in):
            assert not any(x - EPS < leg + half and leg - half < x + diagram.node_width - EPS
                           for x in lefts), (p.link, leg)  # fmt: skip
        assert leg_out > xs0 and leg_in < xt0
    # No two loops' legs run on top of each other.
    legs = sorted(
        (x - p.width / 2, x + p.width / 2)
        for p in diagram.links
        if p.circular
        for x in (p.points[1][0], p.points[3][0])
    )
    for (_a0, a1), (b0, _b1) in zip(legs, legs[1:], strict=False):
        assert a1 <= b0 + EPS
    # Nothing is outside the drawing.
    for n in diagram.nodes.values():
        assert n.x >= 0 and n.x + diagram.node_width <= diagram.width + EPS
        assert n.y >= 0 and n.y + n.height <= diagram.height + EPS
    for p in diagram.links:
        for x, y in p.points:
            assert x - p.width / 2 * p.circular >= -EPS and x <= diagram.width + EPS
            assert y - p.width / 2 >= -EPS and y + p.width / 2 <= diagram.height + EPS
    # Every label's lines fit its box, across and down.
    inner = diagram.node_width - 2 * TEXT_INSET
    for n in diagram.nodes.values():
        lines = node_lines(n.label, f"{n.value:,.0f} kg", n.height, inner, estimate_width)
        assert all(estimate_width(line) <= inner + EPS for line in lines)
        assert len(lines) * LINE_HEIGHT <= n.height - TEXT_INSET + EPS


def test_a_link_across_a_column_passes_it_through_a_waypoint():
    # A -> B -> C puts A, B and C in three columns; A -> C crosses B's column beside B.
    diagram = layout([SankeyLink("A", "B", 10), SankeyLink("B", "C", 10), SankeyLink("A", "C", 5)])
    assert [diagram.nodes[n].column for n in "ABC"] == [0, 1, 2]
    skip = next(p for p in diagram.links if p.link.target == "C" and p.link.source == "A")
    assert len(skip.points) == 4  # start, both ends of the waypoint, end
    b = diagram.nodes["B"]
    (x1, y1), (x2, _y2) = skip.points[1], skip.points[2]
    assert (x1, x2) == (b.x, b.x + diagram.node_width)
    assert y1 - skip.width / 2 >= b.y + b.height or y1 + skip.width / 2 <= b.y
    check(diagram)


def test_a_loop_runs_below_every_box():
    # Scrap to the recycler and recyclate back: one of the two is drawn as a loop.
    links = [SankeyLink("mill", "recycler", 8), SankeyLink("recycler", "mill", 3),
             SankeyLink("recycler", "landfill", 5)]  # fmt: skip
    diagram = layout(links)
    loops = [p for p in diagram.links if p.circular]
    assert [(p.link.source, p.link.target) for p in loops] == [("recycler", "mill")]
    check(diagram)


def test_a_long_name_is_wrapped_and_cut_to_its_box():
    name = "Sino-German Precision Electronics and Advanced Sensor Assembly Works (demo)"
    diagram = layout([SankeyLink(name, "Recycling", 1000)], labels={})
    node = diagram.nodes[name]
    lines = node_lines(name, "1 t", node.height, diagram.node_width - 2 * TEXT_INSET,
                       estimate_width)  # fmt: skip
    assert len(lines) == 4 and lines[2].endswith("…") and lines[-1] == "1 t"
    assert lines[0] == "Sino-German"
    check(diagram)


def test_chinese_names_break_between_characters():
    name = "太仓市资源循环利用有限公司第二分公司"  # 18 characters at 11 px: 198 px
    lines = node_lines(name, "2 t", 100, 120, estimate_width)
    assert lines[:-1] == ["太仓市资源循环利用有", "限公司第二分公司"] and lines[-1] == "2 t"


def test_svg_links_every_ribbon_and_the_boxes_asked_for():
    links = [SankeyLink("c1", "c2", 10), SankeyLink("c2", "landfill", 10)]
    diagram = layout(links, labels={"c1": "Mill", "c2": "Recycler"})
    text = to_svg(
        diagram,
        link_href=lambda link: f"/flow?source={link.source}&target={link.target}",
        node_href=lambda node: f"/company/{node[1:]}" if node.startswith("c") else None,
    )
    root = ET.fromstring(text)
    anchors = root.findall(f".//{SVG}a")
    hrefs = sorted(a.get("href") for a in anchors)
    assert hrefs == ["/company/1", "/company/2", "/flow?source=c1&target=c2",
                     "/flow?source=c2&target=landfill"]  # fmt: skip
    names = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert sorted(names) == ["Mill10 kg", "Recycler10 kg", "landfill10 kg"]


names = st.sampled_from([f"company {i}" for i in range(9)] + ["太仓资源循环利用有限公司"])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(names, names, st.floats(0.5, 5e6)), min_size=1, max_size=40))
def test_no_overlap_no_clipping_on_any_network(edges):
    check(layout([SankeyLink(s, t, v) for s, t, v in edges]))
