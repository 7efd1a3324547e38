"""Property: random sequences of operations never create or destroy mass.

After every step: each batch's mass equals the sum of its ledger entries and is never
negative; splits, merges and shipments move mass without changing the total; a closing
treatment removes exactly what it consumed; a refused operation writes nothing.
"""

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from circularity.db import get_engine
from circularity.models import Batch, Event, EventBatch
from circularity.services.errors import ServiceError
from tests.helpers import apply, operation


def snapshot(session: Session) -> tuple:
    session.expire_all()
    masses = tuple(session.exec(select(Batch.id, Batch.mass_g, Batch.status).order_by(Batch.id)))
    return masses, session.exec(select(func.count()).select_from(Event)).one()


def check_invariants(session: Session) -> None:
    session.expire_all()
    ledger = dict(
        session.exec(
            select(EventBatch.batch_id, func.sum(EventBatch.mass_delta_g)).group_by(
                EventBatch.batch_id
            )
        ).all()
    )
    for batch in session.exec(select(Batch)).all():
        assert batch.mass_g >= 0
        assert ledger[batch.id] == batch.mass_g
        assert (batch.mass_g == 0) == (batch.status in ("closed", "consumed"))
    for event in session.exec(select(Event)).all():
        total = session.exec(
            select(func.sum(EventBatch.mass_delta_g)).where(EventBatch.event_id == event.id)
        ).one()
        if event.operation in ("split", "merge", "ship"):
            assert total == 0, event.operation
        elif event.operation == "close":
            consumed = json.loads(event.payload)["circ:consumedKg"]
            assert total == -int(Decimal(consumed) * 1000) and total <= 0
        elif event.operation == "register":
            assert total > 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_random_operations_conserve_mass(app, operations):
    # Examples share the test's database (the append-only guards forbid clearing it); the
    # invariants hold for the whole database, whatever earlier examples left in it.
    with Session(get_engine(app), expire_on_commit=False) as session:
        for op in operations:
            before = snapshot(session)
            try:
                apply(session, op)
            except ServiceError:
                assert snapshot(session) == before  # refused: nothing written
            check_invariants(session)


def test_the_generator_exercises_every_operation(app):
    """Guard against a vacuous property: a fixed sequence through apply() records each kind."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        for op in [
            ("register", "alice", 10_000_000),
            ("register", "alice", 2_000_000),
            ("split", 0, 30),
            ("merge", 0, 1),
            ("ship", 3, "bob"),
            ("receive", 3, -100),
            ("correct", 3, 9_000_000),
            ("close", 3, 80),
        ]:
            apply(session, op)
            check_invariants(session)
        kinds = set(session.exec(select(Event.operation)).all())
    assert kinds == {"register", "split", "merge", "ship", "receive", "correct", "close"}
