"""A form sent with a mistake comes back with everything typed and chosen, selects included.

Re-sending a form that had lost a choice records something else: the close form once kept
"20" but reset "t" to "kg", so sending it again recorded 20 kg. Each case sends a form with
one bad value and reads the form back from the answer as a browser would send it.
"""

import pytest

from tests.helpers import new_id, post, register
from tests.hostile import page_forms


def send(client, url: str, values: dict):
    """POST as the page's form does, with a fresh form id; the error must be about a value."""
    response = post(client, url, {**values, "client_event_id": new_id()})
    assert response.status_code == 422
    assert "form token" not in response.get_data(as_text=True).lower()
    return response


def sent_back(html: str, action_end: str) -> dict[str, str]:
    form = next(f for f in page_forms(html) if f.action.endswith(action_end))
    return dict(form.fields)


@pytest.fixture
def batch(db_session):
    return register(db_session, "alice", "30", unit="t")


def test_close_keeps_units_and_bases_of_its_outputs(as_person, batch):
    sent = {
        "operation": "R4",
        "output-0-material": "19 12 02",
        "output-0-quantity": "twenty",
        "output-0-unit": "t",
        "output-0-basis": "estimated",
        "output-1-material": "19 12 03",
        "output-1-quantity": "2",
        "output-1-unit": "t",
        "output-1-basis": "weighed",
    }
    response = send(as_person("alice"), f"/b/{batch}/close", sent)
    back = sent_back(response.get_data(as_text=True), "/close")
    assert {k: back[k] for k in sent} == sent


def test_an_output_with_a_material_and_no_quantity_is_refused(as_person, batch, db_session):
    sent = {"operation": "R4", "output-0-material": "19 12 02", "output-0-unit": "t"}
    response = send(as_person("alice"), f"/b/{batch}/close", sent)
    assert "Output 1: Quantity" in response.get_data(as_text=True)


def test_correct_keeps_its_unit(as_person, batch):
    sent = {"quantity": "-4", "unit": "t", "reason": "reweighed"}
    response = send(as_person("alice"), f"/b/{batch}/correct", sent)
    back = sent_back(response.get_data(as_text=True), "/correct")
    assert {k: back[k] for k in sent} == sent


def test_register_keeps_everything(as_person):
    sent = {
        "material": "17 04 05",
        "quantity": "1,5",  # a comma groups thousands in English: refused
        "unit": "t",
        "basis": "estimated",
        "description": "Offcuts, hall 3",
    }
    response = send(as_person("alice"), "/batches", sent)
    back = sent_back(response.get_data(as_text=True), "/batches")
    assert {k: back[k] for k in sent} == sent


def test_a_new_account_keeps_its_role_and_company(as_person, db_session):
    from tests.helpers import company_id

    recycler = str(company_id(db_session, "Recycler"))
    sent = {
        "email": "not an address",
        "name": "Lena",
        "role": "staff",
        "company": recycler,
    }
    response = post(as_person("ada"), "/admin/users", {**sent, "password": "long enough pw"})
    assert response.status_code == 422
    back = sent_back(response.get_data(as_text=True), "/admin/users")
    assert {k: back[k] for k in sent} == sent


def test_withdrawing_a_listing_asks_first(as_person, db_session):
    from sqlmodel import select

    from circularity.models import Offer
    from tests.helpers import offer

    listing = offer(db_session, "alice")
    alice = as_person("alice")
    asked = post(alice, f"/market/offers/{listing.id}/withdraw")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Withdraw this offer?" in page
    db_session.rollback()
    assert db_session.exec(select(Offer.status).where(Offer.id == listing.id)).one() == "open"
    confirm = next(f for f in page_forms(page) if f.action.endswith("/withdraw"))
    assert post(alice, confirm.action, dict(confirm.fields)).status_code == 303
    db_session.rollback()
    assert db_session.exec(select(Offer.status).where(Offer.id == listing.id)).one() == "withdrawn"
