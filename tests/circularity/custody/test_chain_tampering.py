"""Every way of tampering with the records that ``verify`` must catch, one test a kind.

The history touches every operation: a registration, a shipment and its receipt with a
discrepancy, a split, a merge, a closing with an output, a correction and a shipment still in
transit. Then one thing is changed in the database, as someone with full rights to it would
(the append-only triggers dropped first where events are touched), and verify must name it.
Kinds a bare hash chain cannot see (a cut-off tail, a chain rewritten whole) are in
test_chain_checkpoint.py.
"""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, select

from circularity.db import get_engine
from circularity.models import Batch
from circularity.services import custody
from circularity.services.custody import chain, replay
from circularity.services.errors import ServiceError
from tests.circularity.custody.test_chain import drop_guards
from tests.helpers import apply, close, company_id, new_id, operation, person, receive, register
from tests.helpers import ship as ship_batch


def story(session) -> dict[str, str]:
    """The history, and the codes of its batches by what they are."""
    scrap = register(session, "alice", "10")
    ship_batch(session, scrap, "alice", to="Recycler")
    receive(session, scrap, "bob", "9.8", reason="weighbridge")
    part = custody.split(
        session,
        person(session, "bob"),
        scrap,
        parts=[("3", "t")],
        client_event_id=new_id(),
    ).batch_codes[1]
    other = register(session, "bob", "2")
    custody.correct(
        session,
        person(session, "bob"),
        other,
        quantity_value="2.1",
        unit="t",
        basis="estimated",
        reason="reweighed",
        client_event_id=new_id(),
    )
    merged = custody.merge(
        session, person(session, "bob"), [part, other], client_event_id=new_id()
    ).primary_code
    output = close(session, scrap, "bob", "R4", outputs=[("191202", "6", "t", "weighed")])
    travelling = register(session, "carl", "1", material="100202")
    ship_batch(session, travelling, "carl", to="Steelworks")
    session.expire_all()
    return {
        "scrap": scrap,
        "part": part,
        "merged": merged,
        "output": output.batch_codes[1],
        "travelling": travelling,
    }


def test_the_untouched_story_verifies(db_session):
    story(db_session)
    result = chain.verify(db_session)
    assert (result.ok, result.events, result.batches) == (True, 10, 6)


def _event_sql(statements):
    def tamper(session, codes):
        drop_guards(session)
        for statement in statements:
            session.execute(text(statement))

    return tamper


def _batch_sql(column: str, batch: str, value):
    def tamper(session, codes):
        session.execute(
            text(f"UPDATE batch SET {column} = :v WHERE code = :c"),
            {"v": value(session) if callable(value) else value, "c": codes[batch]},
        )

    return tamper


def _edit_payload(session, codes):
    drop_guards(session)
    payload = session.execute(text("SELECT payload FROM event WHERE seq = 2")).scalar_one()
    session.execute(
        text("UPDATE event SET payload = :p WHERE seq = 2"),
        {"p": payload.replace('"circ:carrier":"Huayun"', '"circ:carrier":"Nobody"')},
    )


def _insert_batch(session, codes):
    session.execute(
        text(
            "INSERT INTO batch (code, material_code, company_id, status, mass_g, basis, origin,"
            " description, created_at, version) VALUES ('FORGED', '170405', :c, 'held',"
            " 5000000, 'weighed', 'registered', '', :t, 1)"
        ),
        {"c": company_id(session, "Steelworks"), "t": datetime.now(UTC)},
    )


def _rename_batch(session, codes):
    session.execute(
        text("UPDATE batch SET code = 'RENAMED' WHERE code = :c"), {"c": codes["output"]}
    )


# (kind, tampering, words verify's problem must contain). Events first, then batch rows.
KINDS = [
    ("event content edited", _edit_payload, "event 2 was altered"),
    (
        "event column edited",
        _event_sql(["UPDATE event SET distance_km = 1.0 WHERE seq = 2"]),
        "column distance_km",
    ),
    (
        "event time column edited",
        _event_sql(["UPDATE event SET event_time = '2020-01-01 00:00:00' WHERE seq = 3"]),
        "column event_time",
    ),
    (
        "ledger row edited",
        _event_sql(["UPDATE eventbatch SET mass_delta_g = 1 WHERE id = 1"]),
        "mass ledger",
    ),
    (
        "event deleted",
        _event_sql(
            [
                "DELETE FROM eventbatch WHERE event_id = (SELECT id FROM event WHERE seq = 4)",
                "DELETE FROM event WHERE seq = 4",
            ]
        ),
        "event 4 is missing",
    ),
    (
        "last event deleted",
        _event_sql(
            [
                "DELETE FROM eventbatch WHERE event_id = (SELECT id FROM event WHERE seq = 10)",
                "DELETE FROM event WHERE seq = 10",
            ]
        ),
        "event 10 and later are missing",
    ),
    (
        "events reordered",
        _event_sql(
            [
                "UPDATE event SET seq = -3 WHERE seq = 3",
                "UPDATE event SET seq = 3 WHERE seq = 4",
                "UPDATE event SET seq = 4 WHERE seq = -3",
            ]
        ),
        "reordered",
    ),
    ("batch mass edited", _batch_sql("mass_g", "merged", 9_000_000), "its mass in grams"),
    (
        "batch holder edited",
        _batch_sql("company_id", "merged", lambda s: company_id(s, "Steelworks")),
        "its holder",
    ),
    ("batch status edited", _batch_sql("status", "scrap", "held"), "its status"),
    (
        "batch destination edited",
        _batch_sql("destination_company_id", "travelling", lambda s: company_id(s, "Recycler")),
        "its destination",
    ),
    ("batch closing edited", _batch_sql("closing_operation", "scrap", "D1"), "closing operation"),
    ("batch material edited", _batch_sql("material_code", "output", "170405"), "its material"),
    ("batch basis edited", _batch_sql("basis", "part", "estimated"), "its basis"),
    ("batch origin edited", _batch_sql("origin", "merged", "registered"), "its origin"),
    ("batch description edited", _batch_sql("description", "part", "gold"), "its description"),
    ("batch version edited", _batch_sql("version", "scrap", 1), "its version"),
    (
        "batch backdated",
        _batch_sql("created_at", "output", datetime(2020, 1, 1, tzinfo=UTC)),
        "its creation time",
    ),
    ("batch row without an event", _insert_batch, "FORGED has no event"),
    ("batch code edited", _rename_batch, "mass ledger"),
]


@pytest.mark.parametrize(("kind", "tamper", "words"), KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_of_tampering_is_caught(db_session, kind, tamper, words):
    codes = story(db_session)
    tamper(db_session, codes)
    db_session.commit()
    result = chain.verify(db_session)
    assert not result.ok, kind
    assert words in result.problem, result.problem


def test_every_differing_batch_row_is_listed(db_session):
    codes = story(db_session)
    db_session.execute(
        text("UPDATE batch SET mass_g = mass_g + 1 WHERE code IN (:a, :b)"),
        {"a": codes["merged"], "b": codes["travelling"]},
    )
    db_session.commit()
    result = chain.verify(db_session)
    assert len(result.batch_problems) == 2
    assert "and 1 more" in result.problem


def test_a_problem_names_the_values(db_session):
    codes = story(db_session)
    db_session.execute(text("UPDATE batch SET mass_g = 1 WHERE code = :c"), {"c": codes["merged"]})
    db_session.commit()
    result = chain.verify(db_session)
    # 3 t split off the scrap, merged with 2 t corrected to 2.1 t.
    assert result.problem == (
        f"batch {codes['merged']} was altered: its mass in grams is 1, its events give 5100000"
    )


def test_the_basis_of_a_correction_and_of_an_output_is_checked(db_session):
    """The merged batch is estimated because one input was corrected to an estimate; the
    treatment's output was weighed. Both are in their events and so in the replay."""
    codes = story(db_session)
    for code, basis in ((codes["merged"], "weighed"), (codes["output"], "estimated")):
        db_session.execute(
            text("UPDATE batch SET basis = :b WHERE code = :c"), {"b": basis, "c": code}
        )
        db_session.commit()
        result = chain.verify(db_session)
        assert f"batch {code} was altered: its basis" in result.problem
        db_session.execute(
            text("UPDATE batch SET basis = :b WHERE code = :c"),
            {"b": "estimated" if basis == "weighed" else "weighed", "c": code},
        )
        db_session.commit()
    assert chain.verify(db_session).ok


def test_a_basis_the_events_do_not_record_is_left_out():
    """Corrections and treatment outputs recorded before their events carried the basis
    leave it unknown: the replay does not invent one."""
    walk = replay.Replay()
    made = {
        "circ:operation": "register",
        "eventTime": "2025-01-10T20:00:00.000+08:00",
        "circ:companyID": 1,
        "ilmd": {"circ:material": "170405", "circ:basis": "weighed", "circ:description": ""},
        "circ:ledger": [{"batch": "A", "role": "object", "deltaG": 1000}],
    }
    walk.apply(made)
    walk.apply(
        {
            "circ:operation": "correct",
            "eventTime": "2025-01-10T21:00:00.000+08:00",
            "circ:ledger": [{"batch": "A", "role": "object", "deltaG": 500}],
        }
    )
    state = walk.batches["A"]
    assert (state.mass_g, state.version, state.basis) == (1500, 2, replay.UNKNOWN)


def test_an_event_that_cannot_follow_its_predecessors_is_named():
    walk = replay.Replay()
    with pytest.raises(replay.ReplayError, match="before any event made it"):
        walk.apply(
            {
                "circ:operation": "ship",
                "eventTime": "2025-01-10T21:00:00.000+08:00",
                "circ:ledger": [{"batch": "A", "role": "object", "deltaG": 0}],
            }
        )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=1, max_size=20))
def test_any_history_replays_to_its_batch_rows(app, operations):
    """Whatever the operations (refused ones write nothing), the rows equal the replay."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        for op in operations:
            try:
                apply(session, op)
            except ServiceError:
                session.rollback()
        session.expire_all()
        result = chain.verify(session)
        assert result.ok, result.problem
        assert result.batches == len(session.exec(select(Batch.id)).all())
