"""Agreed exchanges fulfilled by batches: shipping under an exchange (checked against its
receiver and material), the link kept beside the event chain, and delivered tonnes from
what the receiver weighed."""

import json
import re

import pytest
from sqlmodel import select

from circularity.models import Event, ExchangeShipment
from circularity.services.custody import chain
from circularity.services.errors import InvalidInput, NotFound
from circularity.services.market import matching
from tests.helpers import company_id, demand, new_id, offer, person, post, receive, register, ship


def agreed(db_session, tonnes="10", period="lot"):
    """Steelworks offers scrap, Recycler takes it; the coordinator accepts the one proposal."""
    offer(db_session, tonnes=tonnes, period=period)
    demand(db_session, tonnes=tonnes, period=period)
    record = matching.run(db_session, person(db_session, "cora"), new_id())
    proposal = matching.get_run(db_session, record.id).proposals[0].proposal
    _run, exchange = matching.decide(
        db_session, person(db_session, "cora"), proposal.id, "accepted"
    )
    return exchange


def test_ship_under_an_exchange_and_receive_delivers(as_person, db_session):
    exchange = agreed(db_session)
    code = register(db_session, quantity="6")
    client = as_person("alice")
    page = client.get(f"/b/{code}/ship").get_data(as_text=True)  # the ship form
    assert f'<option value="{exchange.id}"' in page
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
    response = post(
        client,
        f"/b/{code}/ship",
        {
            "destination": company_id(db_session, "Recycler"),
            "carrier": "Huayun",
            "vehicle": "truck",
            "distance_km": "6.5",
            "exchange": exchange.id,
            "client_event_id": fields["client_event_id"],
            "version": fields["version"],
            "confirmed": "1",
        },
    )
    assert response.status_code == 303
    db_session.rollback()
    (link,) = db_session.exec(select(ExchangeShipment)).all()
    event = db_session.get(Event, link.event_id)
    assert json.loads(event.payload)["circ:exchangeID"] == exchange.id
    assert chain.verify(db_session).ok
    html = as_person("bob").get(f"/market/exchanges/{exchange.id}").get_data(as_text=True)
    assert 'id="delivered">0 kg' in html and "in transit" in html.lower()
    receive(db_session, code, quantity="5.8", reason="moisture loss")
    html = as_person("bob").get(f"/market/exchanges/{exchange.id}").get_data(as_text=True)
    assert 'id="planned">10 t' in html and 'id="delivered">5.8 t' in html
    second = register(db_session, quantity="4.5")
    ship(db_session, second, exchange_id=exchange.id)
    receive(db_session, second, quantity="4.5")
    html = as_person("alice").get(f"/market/exchanges/{exchange.id}").get_data(as_text=True)
    assert 'id="delivered">10.3 t ✓' in html
    # Fulfilled one-lot exchanges are no longer offered on the ship form.
    third = register(db_session, quantity="1")
    form = client.get(f"/b/{third}/ship").get_data(as_text=True)
    assert 'name="destination"' in form and f'<option value="{exchange.id}"' not in form


def test_shipment_must_fit_the_exchange(db_session):
    exchange = agreed(db_session)
    code = register(db_session)
    with pytest.raises(InvalidInput) as info:
        ship(db_session, code, to="Cement", exchange_id=exchange.id)
    assert info.value.field == "destination"
    wood = register(db_session, material="150103")
    with pytest.raises(InvalidInput) as info:
        ship(db_session, wood, exchange_id=exchange.id)
    assert info.value.field == "exchange"
    theirs = register(db_session, who="carl")
    with pytest.raises(NotFound):
        ship(db_session, theirs, who="carl", exchange_id=exchange.id)
    db_session.rollback()
    assert db_session.exec(select(ExchangeShipment)).all() == []
    assert db_session.exec(select(Event).where(Event.operation == "ship")).all() == []


def test_exchange_pages_follow_the_companies(as_person, db_session):
    exchange = agreed(db_session, tonnes="4", period="month")
    assert exchange.period_days == 30
    assert as_person("carl").get(f"/market/exchanges/{exchange.id}").status_code == 404
    for name in ("alice", "bob", "mia"):
        html = as_person(name).get("/market/exchanges").get_data(as_text=True)
        assert f"/market/exchanges/{exchange.id}" in html
    assert f"/market/exchanges/{exchange.id}" not in as_person("carl").get(
        "/market/exchanges"
    ).get_data(as_text=True)
    html = as_person("bob").get("/market/").get_data(as_text=True)
    assert "4 t per 30 days" in html


def test_delivered_grams_are_exact_for_fractional_kilograms(db_session):
    from circularity.services.market import exchanges

    # 2.0031 t is 2003.1 kg, stored as the JSON number 2003.1; read back it must be
    # 2,003,100 g, not 2,003,099 g from the double's binary expansion.
    exchange = agreed(db_session)
    code = register(db_session, quantity="2.0031")
    ship(db_session, code, exchange_id=exchange.id)
    receive(db_session, code, quantity="2.0031")
    view = exchanges.get_exchange(db_session, person(db_session, "cora"), exchange.id)
    assert view.delivered_g == 2_003_100
    assert exchanges._grams(2003.1) == 2_003_100 and exchanges._grams("0.001") == 1
