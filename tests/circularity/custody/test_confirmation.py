"""Irreversible actions are shown before they are recorded, and asking records nothing."""

import pytest
from sqlmodel import func, select

from circularity.models import Batch, Event
from circularity.services import custody
from circularity.services.custody.recording import ConfirmationNeeded
from tests.helpers import company_id, new_id, person, register, ship


def counts(session) -> tuple[int, int]:
    session.rollback()
    return (
        session.exec(select(func.count()).select_from(Event)).one(),
        session.exec(select(func.count()).select_from(Batch)).one(),
    )


def test_a_close_is_shown_first_and_nothing_is_written(db_session):
    code = register(db_session, "alice", "10")
    before = counts(db_session)
    with pytest.raises(ConfirmationNeeded) as asked:
        custody.close(
            db_session,
            person(db_session, "alice"),
            code,
            operation="R4",
            outputs=[("191202", "9.2", "t", "weighed"), ("191212", "0.8", "t", "estimated")],
            client_event_id=new_id(),
            confirmed=False,
        )
    # 10 t in, 9.2 t and 0.8 t out, as the confirmation shows them.
    assert asked.value.ledger[0] == (code, "input", -10_000_000)
    assert [grams for _, role, grams in asked.value.ledger[1:]] == [9_200_000, 800_000]
    assert asked.value.payload["circ:operationCode"] == "R4"
    assert counts(db_session) == before
    assert db_session.exec(select(Batch.status).where(Batch.code == code)).one() == "held"


def test_a_receipt_far_from_what_was_sent_is_asked_about(db_session):
    code = register(db_session, "alice", "10")
    ship(db_session, code, "alice", to="Recycler")
    bob = person(db_session, "bob")
    with pytest.raises(ConfirmationNeeded) as asked:  # 10 kg typed for 10 t
        custody.receive(
            db_session,
            bob,
            code,
            quantity_value="10",
            unit="kg",
            reason="weighbridge",
            client_event_id=new_id(),
            confirmed=False,
        )
    assert "far from the 10 t sent" in asked.value.warning
    # Within a fifth of the mass sent, a receipt is recorded at once.
    done = custody.receive(
        db_session,
        bob,
        code,
        quantity_value="9.1",
        unit="t",
        reason="dried",
        client_event_id=new_id(),
        confirmed=False,
    )
    assert not done.replayed
    assert db_session.exec(select(Batch.mass_g).where(Batch.code == code)).one() == 9_100_000


def test_the_confirmed_form_records_once(db_session):
    code = register(db_session, "alice", "10")
    alice, client_id = person(db_session, "alice"), new_id()
    values = {
        "destination_company_id": company_id(db_session, "Cement"),
        "carrier": "c",
        "vehicle": "v",
        "distance_km": "12",
        "client_event_id": client_id,
    }
    with pytest.raises(ConfirmationNeeded):
        custody.ship(db_session, alice, code, confirmed=False, **values)
    first = custody.ship(db_session, alice, code, confirmed=True, **values)
    again = custody.ship(db_session, alice, code, confirmed=True, **values)
    assert again.replayed and again.event.id == first.event.id
    assert counts(db_session)[0] == 2
