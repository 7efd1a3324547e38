"""The analysis pages: who may see them, what they show, the downloads, and that a GET changes
nothing. Histories are built with the services; pages are read as management reads them."""

import csv
import io
import json
import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from PIL import Image
from sqlmodel import func, select

from circularity.models import Batch, ChainHead, Event
from tests.helpers import close, company_id, receive, register, ship

PERIOD = "start=2025-01-01&end=2025-01-31"


def noon(day: int) -> datetime:
    return datetime(2025, 1, day, 12, tzinfo=UTC)


def short_receipt(db_session) -> str:
    """10 t sent by the steelworks, 6 t weighed by the recycler: a gross misreport."""
    code = register(db_session, "alice", "10", event_time=noon(10))
    ship(db_session, code, "alice", event_time=noon(11))
    receive(db_session, code, "bob", "6", reason="half the load missing", event_time=noon(12))
    return code


def recycled(db_session) -> tuple[str, str]:
    """Two batches of scrap to the recycler (3 t and 2 t), recycled there by R4."""
    codes = [register(db_session, "alice", q, event_time=noon(10)) for q in ("3", "2")]
    for code, q in zip(codes, ("3", "2"), strict=True):
        ship(db_session, code, "alice", event_time=noon(11))
        receive(db_session, code, "bob", q, event_time=noon(12))
        close(db_session, code, "bob", "R4", event_time=noon(13))
    return codes[0], codes[1]


def state(db_session) -> tuple:
    db_session.expire_all()
    return (
        db_session.exec(select(func.count()).select_from(Event)).one(),
        db_session.exec(select(func.count()).select_from(Batch)).one(),
        db_session.get(ChainHead, 1).hash,
    )


def test_reconciliation_flags_the_misreported_flow_and_links_its_batch(db_session, as_person):
    code = short_receipt(db_session)
    steel, recycler = company_id(db_session, "Steelworks"), company_id(db_session, "Recycler")
    before = state(db_session)
    page = as_person("mia").get(f"/analysis/reconcile?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Not consistent" in html
    flagged = html.split('id="flagged"', 1)[1].split("</table>", 1)[0]
    assert "Steelworks" in flagged and "Recycler" in flagged
    assert f'href="/b/{code}"' in flagged
    assert f"/analysis/flow?source=c{steel}&amp;target=c{recycler}" in flagged
    # the 4 t missing at the recycler is its imbalance
    balances = html.split('id="balances"', 1)[1]
    row = balances.split(f'data-process="c{recycler}"', 1)[1].split("</tr>", 1)[0]
    assert "4 t" in row and "⚠" in row
    assert state(db_session) == before


def test_a_consistent_period_is_called_consistent(db_session, as_person):
    recycled(db_session)
    html = as_person("cora").get(f"/analysis/reconcile?{PERIOD}").get_data(as_text=True)
    assert "Consistent: the reported flows agree" in html
    assert "No flow is flagged." in html


def test_indicator_page_shows_figures_with_their_sources(db_session, as_person):
    recycled(db_session)
    page = as_person("ada").get(f"/analysis/?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # 5 t closed, all by R4: recycling 100 %, nothing landfilled: diversion 100 %
    rate = html.split('id="recycling-rate"', 1)[1].split("</div>", 1)[0]
    assert "100.0 %" in rate and "5 t / 5 t" in rate and "docs/methods.md" in rate
    for figure in ("circular-material-use", "circular-inflow", "mci"):
        block = html.split(f'id="{figure}"', 1)[1].split("</div>", 1)[0]
        assert "not computed" in block and "not recorded" in block
    ElementTree.fromstring(re.search(r"<svg.*?</svg>", html, re.S).group(0))


def test_company_and_material_scopes(db_session, as_person):
    recycled(db_session)
    client = as_person("mia")
    recycler = company_id(db_session, "Recycler")
    html = client.get(f"/analysis/?{PERIOD}&company={recycler}").get_data(as_text=True)
    assert "<h1>Recycler" in html
    html = client.get(f"/analysis/?{PERIOD}&material=170405&by=material").get_data(as_text=True)
    assert "17 04 05" in html
    assert client.get(f"/analysis/?{PERIOD}&company=999").status_code == 404
    response = client.get(f"/analysis/?{PERIOD}&material=999999")
    assert response.status_code == 422 and "Field: Material" in response.get_data(as_text=True)


def test_drill_down_lists_exactly_the_batches_of_the_flow(db_session, as_person):
    a, b = recycled(db_session)
    register(db_session, "alice", "7", event_time=noon(10))  # never shipped: not in the flow
    steel, recycler = company_id(db_session, "Steelworks"), company_id(db_session, "Recycler")
    page = as_person("mia").get(f"/analysis/flow?{PERIOD}&source=c{steel}&target=c{recycler}")
    assert page.status_code == 200
    table = page.get_data(as_text=True).split('id="flow-batches"', 1)[1]
    assert re.findall(r'href="/b/([0-9A-Z]{26})"', table) == [a, b]
    missing = as_person("mia").get(f"/analysis/flow?{PERIOD}&source=c{recycler}&target=c{steel}")
    assert missing.status_code == 404


def test_sankey_downloads(db_session, as_person):
    recycled(db_session)
    client = as_person("mia")
    svg = client.get(f"/analysis/sankey.svg?{PERIOD}")
    assert svg.mimetype == "image/svg+xml"
    assert svg.headers["Content-Disposition"].startswith('attachment; filename="sankey-park-')
    ElementTree.fromstring(svg.data)
    png = client.get(f"/analysis/sankey.png?{PERIOD}")
    assert png.mimetype == "image/png"
    assert Image.open(io.BytesIO(png.data)).format == "PNG"
    table = client.get(f"/analysis/sankey.csv?{PERIOD}")
    assert table.mimetype == "text/csv"
    links = {(r["source"], r["target"]): float(r["value_kg"])
             for r in csv.DictReader(io.StringIO(table.get_data(as_text=True)))}  # fmt: skip
    # generated 5 t at the steelworks, shipped 5 t to the recycler, which recycled 5 t
    assert links == {
        ("Generated", "Steelworks"): 5000.0,
        ("Steelworks", "Recycler"): 5000.0,
        ("Recycler", "Recycling (R2-R11)"): 5000.0,
    }
    document = client.get(f"/analysis/sankey.json?{PERIOD}&by=material")
    assert document.mimetype == "application/json"
    assert {link["material"] for link in json.loads(document.data)["links"]} == {"170405"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2025-02-30", "Period start"),
        ("end=soon", "Period end"),
        ("start=2025-02-01&end=2025-01-01", "Period end"),
    ],
)
@pytest.mark.parametrize("path", ["/analysis/", "/analysis/reconcile", "/analysis/sankey.svg"])
def test_bad_parameters_answer_422_naming_the_field(as_person, path, query, field):
    response = as_person("mia").get(f"{path}?{query}")
    assert response.status_code == 422
    assert f"Field: {field}" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/analysis/", "/analysis/sankey.csv"])
def test_an_unknown_grouping_answers_422(as_person, path):
    response = as_person("mia").get(f"{path}?{PERIOD}&by=colour")
    assert response.status_code == 422
    assert "Field: Group by" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/analysis/", "/analysis/reconcile", "/analysis/flow", "/analysis/sankey.png"]
)
def test_staff_may_not_see_the_analysis(as_person, path):
    assert as_person("alice").get(path).status_code == 403


def test_the_nav_links_analysis_for_the_park_roles_only(as_person):
    assert 'href="/analysis/"' in as_person("cora").get("/").get_data(as_text=True)
    assert 'href="/analysis/"' not in as_person("bob").get("/").get_data(as_text=True)


def test_an_empty_period_renders(as_person):
    client = as_person("mia")
    html = client.get(f"/analysis/?{PERIOD}").get_data(as_text=True)
    assert "No flows in this period." in html
    html = client.get(f"/analysis/reconcile?{PERIOD}").get_data(as_text=True)
    assert "No custody events in this period." in html


def test_every_ribbon_of_the_sankey_links_to_its_batches(db_session, as_person):
    a, b = recycled(db_session)
    client = as_person("mia")
    html = client.get(f"/analysis/?{PERIOD}").get_data(as_text=True)
    svg = ElementTree.fromstring(re.search(r"<svg.*?</svg>", html, re.S).group(0))
    ns = "{http://www.w3.org/2000/svg}"
    ribbons = svg.findall(f".//{ns}g[@class='links']/{ns}a")
    # generated -> steelworks, steelworks -> recycler, recycler -> recycling: three flows
    assert len(ribbons) == len(svg.findall(f".//{ns}path")) == 3
    steel, recycler = company_id(db_session, "Steelworks"), company_id(db_session, "Recycler")
    shipped = next(r for r in ribbons if f"source=c{steel}&" in r.get("href"))
    assert "Steelworks → Recycler: 5 t" in "".join(shipped.itertext())
    page = client.get(shipped.get("href"))
    assert page.status_code == 200
    table = page.get_data(as_text=True).split('id="flow-batches"', 1)[1]
    assert re.findall(r'href="/b/([0-9A-Z]{26})"', table) == [a, b]
    # Each company's box opens that company's analysis; the other nodes are not links.
    boxes = {a.get("href") for a in svg.findall(f".//{ns}g[@class='nodes']//{ns}a")}
    assert boxes == {
        f"/analysis/?company={c}&start=2025-01-01&end=2025-01-31" for c in (steel, recycler)
    }
    assert client.get(next(iter(boxes))).status_code == 200
