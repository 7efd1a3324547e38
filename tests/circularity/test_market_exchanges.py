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
from tests.circularity.helpers import receive, register, ship
from tests.circularity.market_helpers import demand, offer
from tests.conftest import company_id, new_id, person, post


def agreed(ctx, tonnes="10", period="lot"):
    """Steelworks offers scrap, Recycler takes it; the coordinator accepts the one proposal."""
    offer(ctx, tonnes=tonnes, period=period)
    demand(ctx, tonnes=tonnes, period=period)
    record = matching.run(ctx, person(ctx, "cora"), new_id())
    proposal = matching.get_run(ctx, record.id).proposals[0].proposal
    _run, exchange = matching.decide(ctx, person(ctx, "cora"), proposal.id, "accepted")
    return exchange


def test_ship_under_an_exchange_and_receive_delivers(as_person, ctx):
    exchange = agreed(ctx)
    code = register(ctx, quantity="6")
    client = as_person("alice")
    page = client.get(f"/b/{code}/ship").get_data(as_text=True)  # the ship form
    assert f'<option value="{exchange.id}"' in page
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
    response = post(
        client,
        f"/b/{code}/ship",
        {
            "destination": company_id(ctx, "Recycler"),
            "carrier": "Huayun",
            "vehicle": "truck",
            "distance_km": "6.5",
            "exchange": exchange.id,
            "client_event_id": fields["client_event_id"],
            "version": fields["version"],
        },
    )
    assert response.status_code == 303
    ctx.rollback()
    (link,) = ctx.exec(select(ExchangeShipment)).all()
    event = ctx.get(Event, link.event_id)
    assert json.loads(event.payload)["circ:exchangeID"] == exchange.id
    assert chain.verify(ctx).ok
    html = as_person("bob").get(f"/market/exchanges/{exchange.id}").get_data(as_text=True)
    assert 'id="delivered">0 kg' in html and "in transit" in html.lower()
    receive(ctx, code, quantity="5.8", reason="moisture loss")
    html = as_person("bob").get(f"/market/exchanges/{exchange.id}").get_data(as_text=True)
    assert 'id="planned">10 t' in html and 'id="delivered">5.8 t' in html
    second = register(ctx, quantity="4.5")
    ship(ctx, second, exchange_id=exchange.id)
    receive(ctx, second, quantity="4.5")
    html = as_person("alice").get(f"/market/exchanges/{exchange.id}").get_data(as_text=True)
    assert 'id="delivered">10.3 t ✓' in html
    # Fulfilled one-lot exchanges are no longer offered on the ship form.
    third = register(ctx, quantity="1")
    form = client.get(f"/b/{third}/ship").get_data(as_text=True)
    assert 'name="destination"' in form and f'<option value="{exchange.id}"' not in form


def test_shipment_must_fit_the_exchange(ctx):
    exchange = agreed(ctx)
    code = register(ctx)
    with pytest.raises(InvalidInput) as info:
        ship(ctx, code, to="Cement", exchange_id=exchange.id)
    assert info.value.field == "destination"
    wood = register(ctx, material="150103")
    with pytest.raises(InvalidInput) as info:
        ship(ctx, wood, exchange_id=exchange.id)
    assert info.value.field == "exchange"
    theirs = register(ctx, who="carl")
    with pytest.raises(NotFound):
        ship(ctx, theirs, who="carl", exchange_id=exchange.id)
    ctx.rollback()
    assert ctx.exec(select(ExchangeShipment)).all() == []
    assert ctx.exec(select(Event).where(Event.operation == "ship")).all() == []


def test_exchange_pages_follow_the_companies(as_person, ctx):
    exchange = agreed(ctx, tonnes="4", period="month")
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


def test_delivered_grams_are_exact_for_fractional_kilograms(ctx):
    from circularity.services.market import exchanges

    # 2.0031 t is 2003.1 kg, stored as the JSON number 2003.1; read back it must be
    # 2,003,100 g, not 2,003,099 g from the double's binary expansion.
    exchange = agreed(ctx)
    code = register(ctx, quantity="2.0031")
    ship(ctx, code, exchange_id=exchange.id)
    receive(ctx, code, quantity="2.0031")
    view = exchanges.get_exchange(ctx, person(ctx, "cora"), exchange.id)
    assert view.delivered_g == 2_003_100
    assert exchanges._grams(2003.1) == 2_003_100 and exchanges._grams("0.001") == 1
