"""Two people acting on one batch at the same moment: exactly one succeeds."""

import threading

from sqlmodel import func, select

from circularity.db import get_session
from circularity.models import Event
from circularity.services import custody
from circularity.services.custody.recording import Outcome
from circularity.services.errors import Conflict
from tests.helpers import company_id, new_id, person, register


def race(app, action, people: list[str]) -> list:
    """Run ``action(session, user)`` for each person in its own thread, all released at once."""
    barrier = threading.Barrier(len(people))
    results: list = [None] * len(people)

    def run(index: int, name: str) -> None:
        with app.test_request_context():
            session = get_session()
            user = person(session, name)
            session.commit()
            barrier.wait()
            try:
                results[index] = action(session, user)
            except Conflict as error:
                results[index] = error

    threads = [threading.Thread(target=run, args=(i, n)) for i, n in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_one_shipment_wins(app, db_session):
    code = register(db_session)
    destinations = [company_id(db_session, "Recycler"), company_id(db_session, "Cement")]
    db_session.commit()

    def ship(session, user):
        target = destinations[0] if user.email.startswith("alice") else destinations[1]
        return custody.ship(
            session,
            user,
            code,
            destination_company_id=target,
            carrier="c",
            vehicle="v",
            distance_km="3",
            client_event_id=new_id(),
        )

    results = race(app, ship, ["alice", "anna"])
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1, results
    assert "transit" in conflicts[0].message or "changed" in conflicts[0].message
    db_session.expire_all()
    assert (
        db_session.exec(
            select(func.count()).select_from(Event).where(Event.operation == "ship")
        ).one()
        == 1
    )
    assert (
        custody.access.get_batch(db_session, person(db_session, "mia"), code).status == "in_transit"
    )


def test_racing_splits_never_take_more_than_the_batch(app, db_session):
    # Eight people split 2 t off an 18 t batch at once: all fit (16 t). Then eight more try to
    # split 1.5 t off the 2 t left: exactly one fits.
    code = register(db_session, quantity="18")
    db_session.commit()

    def split(amount):
        def act(session, user):
            return custody.split(
                session, user, code, parts=[(amount, "t")], client_event_id=new_id()
            )

        return act

    first = race(app, split("2"), ["alice", "anna"] * 4)
    assert not any(isinstance(r, Exception) for r in first)
    from circularity.services.errors import InvalidInput

    second = race(app, _tolerant(split("1.5"), InvalidInput), ["alice", "anna"] * 4)
    assert sum(not isinstance(r, Exception) for r in second) == 1
    db_session.expire_all()
    assert custody.access.get_batch(db_session, person(db_session, "mia"), code).mass_g == 500_000


def _tolerant(action, error_type):
    def act(session, user):
        try:
            return action(session, user)
        except error_type as error:
            return error

    return act


def test_copies_of_one_request_arriving_together_are_answered_alike(app, db_session):
    """A phone's retries racing the first request (on PostgreSQL they all found no earlier
    event and failed on the unique client id): one event, and every copy its outcome."""
    client_id = new_id()
    code = register(db_session)
    destination = company_id(db_session, "Recycler")
    registered = race(
        app,
        lambda session, user: custody.register(
            session,
            user,
            material="170405",
            quantity_value="2",
            unit="t",
            basis="weighed",
            client_event_id=client_id,
        ),
        ["alice"] * 6,
    )
    shipped_id = new_id()
    shipped = race(
        app,
        lambda session, user: custody.ship(
            session,
            user,
            code,
            destination_company_id=destination,
            carrier="c",
            vehicle="v",
            distance_km="4",
            client_event_id=shipped_id,
        ),
        ["alice"] * 6,
    )
    for outcomes in (registered, shipped):
        assert all(isinstance(o, Outcome) for o in outcomes), outcomes
        assert len({o.event.id for o in outcomes}) == 1
        assert sum(not o.replayed for o in outcomes) == 1
    db_session.rollback()
    assert db_session.exec(select(func.count()).select_from(Event)).one() == 3
