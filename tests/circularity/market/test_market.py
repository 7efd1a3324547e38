"""Offers and demands: listing, validation that names the bad field, retries, withdrawal,
and the offer proposed from a company's batch history with numbers a reader can recompute."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from circularity.models import Demand, Offer
from circularity.services import custody, fields
from circularity.services.errors import Forbidden, InvalidInput
from circularity.services.market import listings, offer_history
from tests.helpers import company_id, demand, new_id, offer, person, post, receive, register, ship


def count(db_session, model) -> int:
    db_session.rollback()
    return db_session.exec(select(func.count()).select_from(model)).one()


def test_offer_defaults_to_the_company_site_and_today(db_session):
    o = offer(db_session, tonnes="12.5", period="week", quality="clean, sorted")
    assert (o.lat, o.lon) == (31.612, 121.182)
    assert o.mass_g == 12_500_000 and o.period_days == 7
    assert o.available_from == listings.today() and o.available_until is None
    assert o.company_id == company_id(db_session, "Steelworks") and o.status == "open"


def test_demand_keeps_codes_in_order_without_duplicates(db_session):
    d = demand(
        db_session,
        accepts="17 04 05, 19 12 02; 170405",
        max_distance_km="25",
        hazardous_permit=True,
    )
    assert d.accepts == "170405 191202"
    assert d.max_distance_km == 25.0 and d.hazardous_permit


GOOD_OFFER = {"material": "17 04 05", "tonnes": "10", "period": "month"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"material": "99 99 99"}, "material"),
        ({"tonnes": "lots"}, "tonnes"),
        ({"tonnes": "-3"}, "tonnes"),
        ({"period": "fortnight"}, "period"),
        ({"available_from": "tomorrow"}, "available_from"),
        ({"available_from": "2027-03-01", "available_until": "2027-02-01"}, "available_until"),
        ({"lat": "95", "lon": "121"}, "lat"),
        ({"lat": "31.6", "lon": "east"}, "lon"),
        ({"quality": "x" * 501}, "quality"),
        ({"client_token": "short"}, "client_token"),
    ],
)
def test_bad_offer_forms_name_the_field_and_write_nothing(as_person, db_session, change, field):
    client = as_person("alice")
    data = {**GOOD_OFFER, "client_token": new_id(), **change}
    response = post(client, "/market/offers", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"({fields.label(field)})" in html or f'id="{field}-error"' in html
    assert count(db_session, Offer) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"accepts": ""}, "accepts"),
        ({"accepts": "17 04 05, 12 34 56"}, "accepts"),
        ({"tonnes": ""}, "tonnes"),
        ({"max_distance_km": "far"}, "max_distance_km"),
        ({"max_distance_km": "9000"}, "max_distance_km"),
        ({"period": ""}, "period"),
    ],
)
def test_bad_demand_forms_name_the_field_and_write_nothing(as_person, db_session, change, field):
    client = as_person("bob")
    data = {"accepts": "170405", "tonnes": "5", "period": "lot", "client_token": new_id()}
    response = post(client, "/market/demands", {**data, **change})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert count(db_session, Demand) == 0


def test_a_retried_offer_form_lists_one_offer(as_person, db_session):
    client = as_person("alice")
    page = client.get("/market/").get_data(as_text=True)
    token = re.search(r'name="client_token" value="([^"]+)"', page).group(1)
    for _ in range(2):
        response = post(client, "/market/offers", {**GOOD_OFFER, "client_token": token})
        assert response.status_code == 303
    assert count(db_session, Offer) == 1
    page = client.get("/market/").get_data(as_text=True)
    assert "10 t per month" in page and "1,044.3 kg CO₂e/t" in page


def test_only_staff_list_and_only_their_company_withdraws(as_person, db_session):
    with pytest.raises(Forbidden):
        offer(db_session, who="cora")
    o = offer(db_session)
    response = post(as_person("bob"), f"/market/offers/{o.id}/withdraw", {"confirmed": "1"})
    assert response.status_code == 404
    response = post(as_person("anna"), f"/market/offers/{o.id}/withdraw", {"confirmed": "1"})
    assert response.status_code == 303
    db_session.rollback()
    assert db_session.get(Offer, o.id, populate_existing=True).status == "withdrawn"
    assert listings.open_offers(db_session) == []


def test_offer_outside_its_dates_is_not_in_the_market(db_session):
    offer(db_session, available_from="2020-01-01", available_until="2020-12-31")
    future = offer(db_session, available_from=(listings.today() + timedelta(days=3)).isoformat())
    assert listings.open_offers(db_session) == []
    assert listings.open_offers(db_session, future.available_from) == [future]


def test_offer_from_history_median_times_batches_per_period(db_session):
    """Four batches made in the last 60 days: 8, 10, 12 and 30 t. Median 11 t; a batch a week
    is 4 × 7 / 60 = 0.47 (< 1), a month 4 × 30 / 60 = 2: 22 t per month. A 100 t batch made
    70 days ago, a batch received from another company and split parts do not count."""
    now = datetime.now(UTC)
    for days, tonnes in ((10, "8"), (20, "10"), (30, "12"), (40, "30"), (70, "100")):
        register(db_session, quantity=tonnes, event_time=now - timedelta(days=days))
    incoming = register(db_session, who="bob", quantity="50")
    ship(db_session, incoming, who="bob", to="Steelworks")
    receive(db_session, incoming, who="alice", quantity="50")
    custody.split(
        db_session,
        person(db_session, "alice"),
        incoming,
        parts=[("20", "t"), ("30", "t")],
        client_event_id=new_id(),
    )
    proposal = offer_history.propose(
        db_session, person(db_session, "alice"), "17 04 05", months="2", now=now
    )
    assert proposal.masses_g == [30_000_000, 12_000_000, 10_000_000, 8_000_000]
    assert proposal.median_g == 11_000_000
    assert (proposal.period, proposal.period_days) == ("month", 30)
    assert proposal.batches_per_period == pytest.approx(2.0)
    assert proposal.quantity_g == 22_000_000


def test_offer_from_history_page_explains_and_confirms(as_person, db_session):
    now = datetime.now(UTC)
    for days in (3, 10, 17, 24, 31, 38, 45, 52):  # weekly, 2 t: 8 × 7 / 60 = 0.93 a week
        register(db_session, quantity="2", event_time=now - timedelta(days=days))
    client = as_person("alice")
    page = client.get("/market/offers/from-history?material=170405&months=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "8 × 30 / 60 = 4.0000" in html
    assert "2 t × 4.0000 = 8 t per month" in html
    token = re.search(r'name="client_token" value="([^"]+)"', html).group(1)
    response = post(
        client,
        "/market/offers",
        {
            "material": "170405",
            "tonnes": "8.000",
            "period": "month",
            "origin": "history",
            "client_token": token,
        },
    )
    assert response.status_code == 303
    db_session.rollback()
    (listed,) = db_session.exec(select(Offer)).all()
    assert listed.origin == "history" and listed.mass_g == 8_000_000


def test_offer_from_history_needs_two_batches(db_session, as_person):
    register(db_session, quantity="5")
    with pytest.raises(InvalidInput) as info:
        offer_history.propose(db_session, person(db_session, "alice"), "170405")
    assert info.value.field == "material"
    response = as_person("alice").get("/market/offers/from-history?material=170405&months=0")
    assert response.status_code == 422
    assert "(Months)" in response.get_data(as_text=True)


def test_available_dates_are_parsed(db_session):
    o = offer(db_session, available_from="2026-01-05", available_until="2026-02-05")
    assert (o.available_from, o.available_until) == (date(2026, 1, 5), date(2026, 2, 5))
