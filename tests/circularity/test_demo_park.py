"""The demo park is plausible for Taicang: loads within GB 1589, codes that fit the sector,
receipt reasons that fit the difference, residues for every treatment, company kinds, and an
inventory labelled as illustrative wherever it shows (docs/demo.md)."""

import csv
import io
import json
from datetime import UTC, datetime

import pypdfium2
import pytest
from sqlmodel import Session, select

from circularity import create_app, migrate
from circularity.commands import demo_park
from circularity.db import get_engine
from circularity.models import Company, Event, EventBatch, InventoryEntry
from circularity.services import catalogue
from mfa.routes import ROUTES
from tests.helpers import csrf_token

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
#: Streams that need every rule: slag in loads, both D9 streams, the solvent's still bottoms,
#: re-refining residues, shredder residues, the dairy's and the bakery's codes.
KEYS = {"steel", "elec3", "auto3", "chem", "auto", "food", "food2"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True})
    migrate.upgrade(get_engine(app))
    streams = [s for s in demo_park.STREAMS if s.site in KEYS]
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        demo_park.seed(session, now=NOW, streams=streams)
    yield app
    get_engine(app).dispose()


def events(app, operation: str) -> list[Event]:
    with Session(get_engine(app)) as session:
        return session.exec(select(Event).where(Event.operation == operation)).all()


def test_no_truck_carries_more_than_gb_1589_allows(demo):
    loads = [json.loads(e.payload)["quantityList"][0]["quantity"] for e in events(demo, "ship")]
    # The slag stream averages 60 t a week, so some batches needed two or three trucks.
    assert len(loads) > 50 and len(events(demo, "split")) > 10
    # 30 t of load and at most 19 t of tractor and semitrailer: 49 t gross.
    assert max(loads) <= demo_park.MAX_LOAD_T * 1000


def test_every_treatment_records_its_residues():
    for stream in demo_park.STREAMS:
        if stream.outputs:
            assert sum(share for _m, share in stream.outputs) == pytest.approx(1.0), stream
        if not ROUTES[stream.operation].final:  # D9: only residues, never nothing
            assert stream.outputs, stream
    for material, (_site, route) in demo_park.ONWARD.items():
        assert catalogue.get_material(material) and route in ROUTES


def test_slag_and_ash_follow_their_plants_output():
    weekly = {
        s.material: s.mean_t * 7 / s.every_days
        for s in demo_park.STREAMS
        if s.site in {"steel", "power"}
    }
    # 480 t of steel a week at 125 kg of slag a tonne (JISF: 100-150 kg/t).
    assert weekly["100202"] == pytest.approx(60.0)
    assert 0.100 <= weekly["100202"] / demo_park.STEEL_T_PER_WEEK <= 0.150
    # 43.75 t of ash a week, 80 % fly ash and 20 % bottom ash (FHWA-RD-97-148).
    assert weekly["100102"] == pytest.approx(35.0)
    assert weekly["100101"] == pytest.approx(8.75)
    assert weekly["100102"] / (weekly["100102"] + weekly["100101"]) == pytest.approx(0.8)


def test_no_mass_vanishes_at_a_preliminary_treatment(demo):
    with Session(get_engine(demo)) as session:
        rows = session.exec(
            select(Event.route, EventBatch.role, EventBatch.mass_delta_g)
            .join(EventBatch, EventBatch.event_id == Event.id)
            .where(Event.operation == "close")
        ).all()
    treated = {"D9": 0, "other": 0}
    produced = {"D9": 0, "other": 0}
    for route, role, grams in rows:
        if not ROUTES[route].final:
            key = "D9" if route == "D9" else "other"
            (treated if role == "input" else produced)[key] += abs(grams)
    assert treated["D9"] > 0 and produced == treated


def test_codes_fit_the_sector():
    by_site = {(s.site, s.material) for s in demo_park.STREAMS}
    # Dairy and bakery wastes under their own sub-chapters of the List of Waste, not 02 03 04
    # (fruit, vegetables and cereals).
    assert ("food", "020501") in by_site and ("food2", "020601") in by_site
    assert "dairy" in catalogue.get_material("020501").sub_chapter.lower()
    assert "baking" in catalogue.get_material("020601").sub_chapter.lower()


def test_receipt_reasons_fit_the_sign_of_the_difference(demo):
    found = {"more": 0, "less": 0}
    for event in events(demo, "receive"):
        discrepancy = json.loads(event.payload).get("circ:discrepancy")
        if not discrepancy or not discrepancy.get("reason"):
            continue
        more = float(discrepancy["differenceKg"]) > 0
        allowed = demo_park.REASONS_MORE if more else demo_park.REASONS_LESS
        assert discrepancy["reason"] in allowed
        found["more" if more else "less"] += 1
    assert found["more"] and found["less"]


def test_companies_have_their_kinds(demo):
    with Session(get_engine(demo)) as session:
        kinds = {c.name.split(" (")[0]: c.kind for c in session.exec(select(Company)).all()}
    assert kinds["Taicang Sanitary Landfill"] == "waste_management"
    assert kinds["Taicang Waste-to-Energy"] == "waste_management"
    assert kinds["Jiangsu Hazardous Waste Services"] == "waste_management"
    assert kinds["Taicang Resource Recycling"] == "recycler"
    assert kinds["Loujiang Special Steel"] == "producer"


def test_the_inventory_is_illustrative_and_labelled_everywhere(demo):
    with Session(get_engine(demo)) as session:
        entries = session.exec(select(InventoryEntry)).all()
    # 11.4 Gt / 1,411.75 million people = 8.0751 t a person; x 150,000 = 1,211,262.6 t.
    assert [(e.year, e.month, e.area) for e in entries] == [(2026, 0, "energy")]
    assert entries[0].tco2e == pytest.approx(1_211_262.6, abs=0.1)
    assert entries[0].illustrative and "not Taicang's" in entries[0].source
    client = demo.test_client()
    client.post(
        "/login",
        data={
            "email": "management@demo.circularity",
            "password": demo_park.DEMO_PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert 'id="illustrative"' in client.get("/carbon/").get_data(as_text=True)
    assert 'id="illustrative"' in client.get("/dashboard/?period=2026").get_data(as_text=True)
    balance = client.get("/dashboard/balance.csv?period=2026").get_data(as_text=True)
    assert "ILLUSTRATIVE" in next(csv.reader(io.StringIO(balance)))[1]
    document = pypdfium2.PdfDocument(client.get("/dashboard/report.pdf?period=2026").data)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    assert "ILLUSTRATIVE" in text
