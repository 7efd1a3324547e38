"""Sankey: valid SVG with one path per link, loops drawn, PNG readable, CSV/JSON round trips."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from park_example import RECORDS
from PIL import Image

from mfa.model import build_flows
from mfa.sankey import SankeyLink, feedback_links, layout, sankey_links, to_svg
from mfa.sankey_io import links_from_csv, links_from_json, to_csv, to_json, to_png

SVG = "{http://www.w3.org/2000/svg}"
FLOWS = build_flows(RECORDS, 1, 10, by="material")


def test_svg_has_one_path_per_link_and_draws_the_loop():
    links = sankey_links(FLOWS, by="company")
    diagram = layout(links)
    root = ET.fromstring(to_svg(diagram, title="Park <2024> & co"))
    paths = root.findall(f".//{SVG}g[@class='links']/{SVG}path")
    assert len(paths) == len(links)
    # The only loop of the park is A -> R -> A; exactly one of its two links is turned back.
    circular = [p for p in paths if "circular" in p.get("class")]
    assert len(circular) == 1
    assert circular[0].find(f"{SVG}title").text.split(":")[0] in ("A → R", "R → A")
    assert root.find(f"{SVG}title").text == "Park <2024> & co"


def test_labels_are_escaped():
    links = [SankeyLink("<script>", "a&b", 5.0), SankeyLink("a&b", '"q"', 5.0)]
    text = to_svg(layout(links))
    assert "<script>" not in text
    root = ET.fromstring(text)
    labels = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert any(label.startswith("<script>") for label in labels)


def test_by_material_keeps_parallel_links():
    links = sankey_links(FLOWS, by="material")
    assert {(x.source, x.target, x.material) for x in links if x.source == "generation"} >= {
        ("generation", "A", "slag"),
        ("generation", "A", "scrap"),
    }
    assert len(ET.fromstring(to_svg(layout(links))).findall(f".//{SVG}path")) == len(links)


def test_layout_is_deterministic():
    links = sankey_links(FLOWS)
    assert to_svg(layout(links)) == to_svg(layout(list(reversed(links))))


def test_png_opens_with_pillow():
    png = to_png(layout(sankey_links(FLOWS)), scale=1.5)
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size[0] > 900


def test_csv_and_json_round_trip_the_numbers():
    links = sankey_links(FLOWS, by="material")
    diagram = layout(links)
    assert links_from_csv(to_csv(diagram)) == links
    assert links_from_json(json.dumps(to_json(diagram))) == links
    doc = to_json(diagram)
    assert sum(x["circular"] for x in doc["links"]) == 1


def test_empty_diagram():
    assert ET.fromstring(to_svg(layout([]))) is not None


names = st.sampled_from(list("abcdefg"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, names, st.floats(0.1, 1000)), min_size=1, max_size=25))
def test_feedback_links_leave_an_acyclic_rest(edges):
    import networkx as nx

    links = [SankeyLink(s, t, v) for s, t, v in edges]
    back = feedback_links(links)
    rest = nx.DiGraph([(x.source, x.target) for i, x in enumerate(links) if i not in back])
    assert nx.is_directed_acyclic_graph(rest)
    diagram = layout(links)
    assert len(ET.fromstring(to_svg(diagram)).findall(f".//{SVG}path")) == len(links)
    for p in diagram.links:
        assert p.width > 0
        if not p.circular:
            assert diagram.nodes[p.link.source].column < diagram.nodes[p.link.target].column


@pytest.mark.parametrize("by", ["colour"])
def test_bad_mode(by):
    with pytest.raises(Exception, match="company"):
        sankey_links(FLOWS, by=by)
