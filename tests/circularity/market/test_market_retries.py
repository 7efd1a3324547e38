"""A listing form sent again is one listing; with other values it is refused; copies of one
request arriving together (on PostgreSQL) make one listing and one matching run."""

import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from circularity.models import Demand, MatchRun, Offer
from circularity.services.errors import InvalidInput
from circularity.services.market import listings, matching
from tests.circularity.custody.test_concurrency import race
from tests.helpers import new_id, person, post


def count(session, model) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


def token_of(page: str) -> str:
    return re.search(r'name="client_token" value="([^"]+)"', page).group(1)


def test_the_same_offer_form_with_other_values_records_nothing_new(as_person, db_session):
    """Back after "Offer listed" shows the form with its old token; a second offer typed into
    it once answered "Offer listed" and was never recorded."""
    client = as_person("alice")
    token = token_of(client.get("/market/").get_data(as_text=True))
    first = {"material": "17 04 05", "tonnes": "10", "period": "month", "client_token": token}
    assert post(client, "/market/offers", first).status_code == 303
    refused = post(client, "/market/offers", {**first, "tonnes": "12"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "sent already, with other values" in page
    assert 'value="12"' in page  # what was typed comes back, with a fresh token
    assert token_of(page) != token
    assert count(db_session, Offer) == 1
    assert db_session.exec(select(Offer.mass_g)).one() == 10_000_000
    assert post(client, "/market/offers", first).status_code == 303  # a true retry
    assert count(db_session, Offer) == 1


def test_each_value_of_a_demand_counts(db_session):
    alice, token = person(db_session, "alice"), new_id()
    values = dict(accepts="17 04 05", tonnes="5", period="week", max_distance_km="40")
    made = listings.create_demand(db_session, alice, client_token=token, **values)
    again = listings.create_demand(db_session, alice, client_token=token, **values)
    assert again.id == made.id
    for change in (
        {"accepts": "17 04 05, 19 12 02"},
        {"tonnes": "5.5"},
        {"period": "month"},
        {"max_distance_km": ""},
        {"hazardous_permit": True},
        {"quality": "dry"},
        {"lat": "31.5", "lon": "121.1"},
    ):
        try:
            listings.create_demand(db_session, alice, client_token=token, **(values | change))
        except InvalidInput as error:
            assert error.field == "client_token", change
        else:
            raise AssertionError(f"{change} was answered as the first demand")
    assert count(db_session, Demand) == 1


def test_an_offer_without_a_start_is_the_same_form_the_next_day(db_session, monkeypatch):
    alice, token = person(db_session, "alice"), new_id()
    values = dict(material="170405", tonnes="3", period="lot", client_token=token)
    made = listings.create_offer(db_session, alice, **values)
    tomorrow = made.available_from + timedelta(days=1)
    monkeypatch.setattr(listings, "today", lambda: tomorrow)
    assert listings.create_offer(db_session, alice, **values).id == made.id
    with pytest.raises(InvalidInput):
        listings.create_offer(db_session, alice, **values, available_from=str(tomorrow))


def test_copies_of_one_listing_or_run_arriving_together_make_one(app, db_session):
    token = new_id()
    listed = race(
        app,
        lambda session, user: listings.create_offer(
            session, user, material="170405", tonnes="3", period="lot", client_token=token
        ),
        ["alice"] * 12,
    )
    assert all(isinstance(o, Offer) for o in listed), listed
    assert len({o.id for o in listed}) == 1
    run_token = new_id()
    runs = race(app, lambda session, user: matching.run(session, user, run_token), ["cora"] * 4)
    assert all(isinstance(r, MatchRun) for r in runs), runs
    assert len({r.id for r in runs}) == 1
    assert count(db_session, Offer) == 1 and count(db_session, MatchRun) == 1
