"""The same event sent twice is recorded once and answered the same way both times."""

import re

import pytest
from sqlmodel import func, select

from circularity.models import Batch, Event
from circularity.services import custody
from circularity.services.errors import Conflict, InvalidInput
from tests.helpers import company_id, new_id, person, post, register


def count(session, model) -> int:
    session.rollback()  # a new snapshot: what other sessions committed since
    return session.exec(select(func.count()).select_from(model)).one()


def test_service_replays_the_first_outcome(db_session):
    alice, client_id = person(db_session, "alice"), new_id()
    first = custody.register(
        db_session,
        alice,
        material="170405",
        quantity_value="3",
        unit="t",
        basis="weighed",
        client_event_id=client_id,
    )
    second = custody.register(
        db_session,
        alice,
        material="170405",
        quantity_value="3",
        unit="t",
        basis="weighed",
        client_event_id=client_id,
    )
    assert second.replayed and not first.replayed
    assert second.batch_codes == first.batch_codes
    assert second.event.id == first.event.id
    assert count(db_session, Event) == 1 and count(db_session, Batch) == 1


def test_a_retried_shipment_ships_once(db_session):
    code = register(db_session)
    alice, client_id = person(db_session, "alice"), new_id()
    kwargs = {
        "destination_company_id": company_id(db_session, "Recycler"),
        "carrier": "c",
        "vehicle": "v",
        "distance_km": "5",
        "client_event_id": client_id,
    }
    first = custody.ship(db_session, alice, code, **kwargs)
    again = custody.ship(db_session, alice, code, **kwargs)  # the batch is in transit by now
    assert again.replayed and again.event.id == first.event.id
    assert count(db_session, Event) == 2


def test_a_client_id_reused_for_another_operation_is_refused(db_session):
    code = register(db_session)
    client_id = new_id()
    custody.correct(
        db_session,
        person(db_session, "alice"),
        code,
        quantity_value="9",
        unit="t",
        reason="r",
        client_event_id=client_id,
    )
    with pytest.raises(Conflict) as error:
        custody.register(
            db_session,
            person(db_session, "alice"),
            material="170405",
            quantity_value="1",
            unit="t",
            basis="weighed",
            client_event_id=client_id,
        )
    assert error.value.field == "client_event_id"


@pytest.mark.parametrize("client_id", ["", "short", "x" * 65, "has space here"])
def test_client_ids_are_checked(db_session, client_id):
    with pytest.raises(InvalidInput) as error:
        custody.register(
            db_session,
            person(db_session, "alice"),
            material="170405",
            quantity_value="1",
            unit="t",
            basis="weighed",
            client_event_id=client_id,
        )
    assert error.value.field == "client_event_id"


def test_a_form_posted_twice_answers_the_same(as_person, db_session):
    client = as_person("alice")
    html = client.get("/batches/new").get_data(as_text=True)
    client_id = re.search(r'name="client_event_id" value="([^"]+)"', html).group(1)
    form = {
        "material": "17 04 05",
        "quantity": "4",
        "unit": "t",
        "basis": "weighed",
        "client_event_id": client_id,
    }
    first = post(client, "/batches", form)
    second = post(client, "/batches", form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db_session, Batch) == 1


def test_the_same_id_with_other_values_is_refused_and_records_nothing(db_session):
    alice, client_id = person(db_session, "alice"), new_id()
    values = {"material": "170405", "unit": "t", "basis": "weighed", "client_event_id": client_id}
    custody.register(db_session, alice, quantity_value="3", **values)
    with pytest.raises(InvalidInput) as error:
        custody.register(db_session, alice, quantity_value="5", **values)
    assert error.value.status == 422 and error.value.field == "client_event_id"
    assert count(db_session, Event) == 1 and count(db_session, Batch) == 1
    # The first values again are still a retry of the first request.
    assert custody.register(db_session, alice, quantity_value="3", **values).replayed


def test_a_second_batch_typed_into_the_form_back_showed_is_not_lost(as_person, db_session):
    """After Register, Back shows the form with the id it was sent with; a second batch
    typed into it is refused with 422 and a fresh form holding what was typed, and sent
    from that form it is recorded."""
    client = as_person("alice")
    html = client.get("/batches/new").get_data(as_text=True)
    used = re.search(r'name="client_event_id" value="([^"]+)"', html).group(1)
    first = {"material": "17 04 05", "quantity": "4", "unit": "t", "basis": "weighed"}
    assert post(client, "/batches", {**first, "client_event_id": used}).status_code == 303
    second = {"material": "15 01 02", "quantity": "750", "unit": "kg", "basis": "estimated"}
    refused = post(client, "/batches", {**second, "client_event_id": used})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "sent already, with other values" in page
    fresh = re.search(r'name="client_event_id" value="([^"]+)"', page).group(1)
    assert fresh != used and 'value="750"' in page
    assert count(db_session, Batch) == 1
    assert post(client, "/batches", {**second, "client_event_id": fresh}).status_code == 303
    assert count(db_session, Batch) == 2
    masses = sorted(db_session.exec(select(Batch.mass_g)).all())
    assert masses == [750_000, 4_000_000]
