"""The same event sent twice is recorded once and answered the same way both times."""

import re

import pytest
from sqlmodel import func, select

from circularity.models import Batch, Event
from circularity.services import custody
from circularity.services.errors import Conflict, InvalidInput
from tests.helpers import company_id, new_id, person, post, register


def count(session, model) -> int:
    session.expire_all()
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
