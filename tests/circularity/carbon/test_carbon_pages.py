"""The carbon pages: who may see them, GETs that change nothing, POSTs that book and import."""

import io

import pytest
from sqlmodel import func, select

from circularity.models import Credit, CreditRun, FactorSet, InventoryEntry
from tests.helpers import close, post, register

PAGES = (
    "/carbon/",
    "/carbon/credits",
    "/carbon/credits/companies",
    "/carbon/factors",
    "/carbon/factors/defra-2025",
    "/carbon/factors/epa-hub",
    "/carbon/mapping",
)

CONFIRMED = {"confirmed": "1"}


def count(session, model) -> int:
    session.rollback()  # end the read snapshot: the requests wrote through their own sessions
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("who", ["alice", "bob", "cora"])
def test_only_management_and_admin_see_the_pages(as_person, who):
    client = as_person(who)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert post(client, "/carbon/credits/book").status_code == 403


def test_logged_out_people_are_sent_to_log_in(client):
    assert client.get("/carbon/").status_code in (302, 303)


def test_pages_show_sources_and_change_nothing(as_person, db_session):
    close(db_session, register(db_session), who="alice", operation="R4")
    client = as_person("mia")
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
    html = client.get("/carbon/factors/defra-2025").get_data(as_text=True)
    assert "Open Government Licence v3.0" in html and "19_504_5112_15_1" in html
    epa = client.get("/carbon/factors/epa-hub").get_data(as_text=True)
    assert "t CO2e/short ton" in epa and "public domain" in epa
    assert "waiting to be booked" in client.get("/carbon/credits").get_data(as_text=True)
    assert count(db_session, Credit) == count(db_session, CreditRun) == 0
    assert client.get("/carbon/factors/nope").status_code == 404


def test_book_button_books_once_and_drill_down_shows_inputs(as_person, db_session):
    close(db_session, register(db_session), who="alice", operation="R4")
    client = as_person("ada")
    asked = post(client, "/carbon/credits/book")  # booking for good asks first
    assert asked.status_code == 200 and "Book credits?" in asked.get_data(as_text=True)
    assert post(client, "/carbon/credits/book", CONFIRMED).status_code == 303
    assert post(client, "/carbon/credits/book", CONFIRMED).status_code == 303
    assert count(db_session, Credit) == 1
    entry = db_session.exec(select(Credit)).one()
    html = client.get(f"/carbon/credits/{entry.id}").get_data(as_text=True)
    assert "2,863.90131" in html and "19_504_5116_15_1" in html and "assumption" in html
    assert "Final" in html and "landfill" in html
    response = post(
        client, "/carbon/credits/recalculate", {"factor_set": "epa-hub", "note": "x", **CONFIRMED}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert count(db_session, Credit) == 2
    assert "revision 2" in client.get("/carbon/credits").get_data(as_text=True)


def test_unmapped_batches_are_shown_as_unmapped(as_person, db_session):
    close(db_session, register(db_session, material="100210"), who="alice", operation="R5")
    html = as_person("mia").get("/carbon/credits").get_data(as_text=True)
    assert "unmapped" in html and "no reviewed material mapping" in html


def test_bad_factor_file_answers_422_with_its_report(as_person, db_session):
    client = as_person("mia")
    data = {
        "key": "cn-local",
        "name": "Local",
        "edition": "2026",
        "source": "Survey",
        "licence": "CC0",
        "base": "defra-2025",
        "file": (
            io.BytesIO(b"material,kind,route,value,unit\nGlass,disposal,x,1,kg CO2e/t\n"),
            "f.csv",
        ),
    }
    response = post(client, "/carbon/factors", data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<td>2</td><td>route</td>" in html
    assert count(db_session, FactorSet) == 0
    data["file"] = (
        io.BytesIO(b"material,kind,route,value,unit\nall,freight,road,90,g CO2e/t.km\n"),
        "f.csv",
    )
    response = post(client, "/carbon/factors", data, content_type="multipart/form-data")
    assert response.status_code == 303
    assert "90 g CO2e/t.km" in client.get("/carbon/factors/cn-local").get_data(as_text=True)


def test_inventory_form_and_import(as_person, db_session):
    client = as_person("mia")
    form = {"area": "energy", "year": "2026", "month": "3", "tco2e": "50", "source": "grid"}
    assert post(client, "/carbon/inventory", form).status_code == 303
    assert post(client, "/carbon/inventory", form | {"tco2e": "-1"}).status_code == 422
    bad = {"file": (io.BytesIO(b"area,year,month,tco2e\nenergy,2026,3,1\nsun,2026,3,1\n"), "i.csv")}
    response = post(client, "/carbon/inventory/import", bad, content_type="multipart/form-data")
    assert response.status_code == 422 and "<td>3</td><td>area</td>" in response.get_data(True)
    assert count(db_session, InventoryEntry) == 1
    good = {"file": (io.BytesIO(b"area,year,month,tco2e\nindustry,2026,3,30\n"), "i.csv")}
    assert (
        post(
            client, "/carbon/inventory/import", good, content_type="multipart/form-data"
        ).status_code
        == 303
    )
    html = client.get("/carbon/").get_data(as_text=True)
    assert "2026-03" in html and "80.0" in html


def test_credits_are_attributed_in_full_to_each_company_taking_part(as_person, db_session):
    from circularity.services.carbon import credits, ledger
    from tests.helpers import company_id, receive, ship

    shared = register(db_session, quantity="10")  # Steelworks' scrap, recycled by Recycler
    ship(db_session, shared)
    receive(db_session, shared)
    close(db_session, shared, who="bob", operation="R4")
    close(db_session, register(db_session, who="bob", quantity="2"), who="bob", operation="R4")
    client = as_person("mia")
    assert post(client, "/carbon/credits/book", CONFIRMED).status_code == 303
    db_session.rollback()
    entries = credits.current_credits(db_session)
    by_batch = {e.mass_g: e.credit_kg for e in entries}
    rows = {company: (n, kg) for company, n, kg in ledger.attribution(db_session)}
    steel, recycler = company_id(db_session, "Steelworks"), company_id(db_session, "Recycler")
    assert rows[steel] == (1, by_batch[10_000_000])
    assert rows[recycler][0] == 2
    assert abs(rows[recycler][1] - (by_batch[10_000_000] + by_batch[2_000_000])) < 1e-6
    assert "/carbon/credits/companies" in client.get("/carbon/credits").get_data(as_text=True)
    html = client.get("/carbon/credits/companies").get_data(as_text=True)
    assert 'id="attribution"' in html and "Steelworks" in html


def test_a_closing_without_a_route_is_shown_with_its_reason_and_booking_goes_on(
    as_person, db_session
):
    from tests.circularity.carbon.test_credits import close_without_route

    close_without_route(db_session, register(db_session))
    close(db_session, register(db_session), who="alice", operation="R4")
    client = as_person("mia")
    response = client.get("/carbon/credits")
    assert response.status_code == 200
    assert "closed without a recovery or disposal route" in response.get_data(as_text=True)
    assert post(client, "/carbon/credits/book", CONFIRMED).status_code == 303
    assert count(db_session, Credit) == 1
