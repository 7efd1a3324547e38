"""History is append-only and tamper-evident: verify names the first bad event."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from circularity.cli import cli
from circularity.db import is_postgres
from circularity.models import Event
from circularity.services.custody import chain
from tests.helpers import receive, register, ship


def five_events(session) -> list[Event]:
    code = register(session)
    ship(session, code)
    receive(session, code)
    register(session)
    register(session)
    return session.exec(select(Event).order_by(Event.seq)).all()


def drop_guards(session) -> None:
    """Someone with full database rights removes the append-only triggers first."""
    if is_postgres(session):
        for table in ("event", "eventbatch"):
            session.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
    else:
        for table in ("event", "eventbatch"):
            for action in ("update", "delete"):
                session.execute(text(f"DROP TRIGGER {table}_no_{action}"))
    session.commit()


def test_intact_chain_verifies(db_session):
    events = five_events(db_session)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    result = chain.verify(db_session)
    assert (result.ok, result.events) == (True, 5)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE event SET disposition = 'x'",
        "DELETE FROM event",
        "UPDATE eventbatch SET mass_delta_g = 0",
    ],
)
def test_the_database_refuses_to_rewrite_history(db_session, statement):
    five_events(db_session)
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(text(statement))
    db_session.rollback()
    assert chain.verify(db_session).ok


def test_an_altered_payload_is_named(db_session):
    events = five_events(db_session)
    drop_guards(db_session)
    payload = json.loads(events[2].payload)
    payload["quantityList"][0]["quantity"] = "9000"
    db_session.execute(
        text("UPDATE event SET payload = :p WHERE seq = 3"), {"p": chain.canonical(payload)}
    )
    db_session.commit()
    result = chain.verify(db_session)
    assert (result.ok, result.seq, result.events) == (False, 3, 2)
    assert "event 3 was altered" in result.problem


def test_an_altered_column_is_named(db_session):
    five_events(db_session)
    drop_guards(db_session)
    db_session.execute(text("UPDATE event SET distance_km = 1.0 WHERE seq = 2"))
    db_session.commit()
    result = chain.verify(db_session)
    assert result.seq == 2 and "distance_km" in result.problem


def test_an_altered_ledger_is_named(db_session):
    events = five_events(db_session)
    drop_guards(db_session)
    db_session.execute(
        text("UPDATE eventbatch SET mass_delta_g = 1 WHERE event_id = :id"), {"id": events[3].id}
    )
    db_session.commit()
    result = chain.verify(db_session)
    assert result.seq == 4 and "ledger" in result.problem


def test_a_missing_event_is_named(db_session):
    events = five_events(db_session)
    drop_guards(db_session)
    db_session.execute(text("DELETE FROM eventbatch WHERE event_id = :id"), {"id": events[1].id})
    db_session.execute(text("DELETE FROM event WHERE seq = 2"))
    db_session.commit()
    result = chain.verify(db_session)
    assert result.seq == 3 and "event 2 is missing" in result.problem


def test_a_missing_last_event_is_named(db_session):
    events = five_events(db_session)
    drop_guards(db_session)
    db_session.execute(text("DELETE FROM eventbatch WHERE event_id = :id"), {"id": events[4].id})
    db_session.execute(text("DELETE FROM event WHERE seq = 5"))
    db_session.commit()
    result = chain.verify(db_session)
    assert not result.ok and "event 5 and later are missing" in result.problem


def test_reordered_events_are_named(db_session):
    five_events(db_session)
    drop_guards(db_session)
    # Swap the sequence numbers of events 3 and 4.
    db_session.execute(text("UPDATE event SET seq = -3 WHERE seq = 3"))
    db_session.execute(text("UPDATE event SET seq = 3 WHERE seq = 4"))
    db_session.execute(text("UPDATE event SET seq = 4 WHERE seq = -3"))
    db_session.commit()
    result = chain.verify(db_session)
    assert result.seq == 3 and "reordered" in result.problem


def test_verify_command_exit_status(app, db_session):
    five_events(db_session)
    runner = CliRunner()
    env = {"DATABASE_URL": app.config["DATABASE_URL"]}
    ok = runner.invoke(cli, ["verify"], env=env)
    assert ok.exit_code == 0 and "OK: 5 events" in ok.output
    drop_guards(db_session)
    db_session.execute(text("UPDATE event SET biz_step = 'x' WHERE seq = 4"))
    db_session.commit()
    broken = runner.invoke(cli, ["verify"], env=env)
    assert broken.exit_code == 1
    assert "event 4 was altered" in broken.output
