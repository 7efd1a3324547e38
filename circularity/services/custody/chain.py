"""The hash chain: appending events and verifying that none was altered, lost or moved.

Every event's hash covers its predecessor's hash and its own canonical content (sorted-key
JSON), so changing, deleting or reordering any stored event breaks the chain from there on.
``verify`` also replays the mass ledger (``replay``) and checks every batch row against it,
since the rows are what the pages and the figures read. A chain rewritten whole from an
edited event onwards is a valid chain again: only a signed checkpoint (``checkpoints``)
shows that.
"""

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select

from circularity.models import Batch, ChainHead, Event, EventBatch
from circularity.services.custody import replay
from circularity.times import utcnow

GENESIS = "0" * 64


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def new_event_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


# The head and the ledger are written as plain statements on the transaction's connection:
# through the ORM's unit of work, the bookkeeping of these two rows cost more than the event.
_HEAD = ChainHead.__table__
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_MOVE_HEAD = (
    update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("to_seq"), hash=bindparam("to_hash"))
)
_NEW_HEAD = insert(_HEAD)
_ADD_LEDGER = insert(EventBatch.__table__)
_ADD_EVENT = insert(Event.__table__)


def lock_head(session: Session) -> tuple[int, str]:
    """The sequence number and hash of the chain's last event, with the head row locked for
    this transaction (PostgreSQL row lock; SQLite holds the database write lock already),
    created on first use."""
    connection = session.connection()
    row = connection.execute(_LOCK_HEAD).first()
    if row is None:
        connection.execute(_NEW_HEAD, {"id": 1, "seq": 0, "hash": GENESIS})
        return 0, GENESIS
    return row.seq, row.hash


# Columns of Event that are copies of payload fields, for queries; verify checks them.
COLUMN_FIELDS = {
    "event_id": "eventID",
    "operation": "circ:operation",
    "event_type": "type",
    "action": "action",
    "biz_step": "bizStep",
    "disposition": "disposition",
    "event_timezone_offset": "eventTimeZoneOffset",
    "client_event_id": "circ:clientEventID",
    "company_id": "circ:companyID",
    "user_id": "circ:userID",
    "source_company_id": "circ:sourceCompanyID",
    "destination_company_id": "circ:destinationCompanyID",
    "distance_km": "circ:distanceKm",
    "route": "circ:operationCode",
    "corrects_event_seq": "circ:correctsEventSeq",
}


def append(
    session: Session,
    payload: dict,
    ledger: Iterable[tuple[Batch, str, int]],
    event_time: datetime,
) -> Event:
    """Add one event with its ledger rows at the end of the chain.

    ``payload`` is the EPCIS event with circularity's extension fields; ``ledger`` lists
    (batch, role, mass change in grams). The ledger is hashed with the payload, so the mass
    record is covered by the chain too.
    """
    last_seq, last_hash = lock_head(session)
    ledger = list(ledger)
    payload = dict(payload)
    payload["circ:seq"] = last_seq + 1
    payload["circ:ledger"] = [
        {"batch": batch.code, "role": role, "deltaG": delta} for batch, role, delta in ledger
    ]
    text = canonical(payload)
    digest = event_hash(last_hash, text)
    values = {
        "seq": last_seq + 1,
        "event_time": event_time,
        "record_time": utcnow(),
        "payload": text,
        "prev_hash": last_hash,
        "hash": digest,
        **{column: payload.get(field) for column, field in COLUMN_FIELDS.items()},
    }
    session.flush()  # ids for batches the operation created, and its changes to batch rows
    # The event is inserted as a plain statement too: the unit of work's bookkeeping of a
    # row written once and never changed cost more than the insert. The object returned
    # holds what was written; it is not in the session.
    connection = session.connection()
    event_id = connection.execute(_ADD_EVENT, values).inserted_primary_key[0]
    connection.execute(
        _ADD_LEDGER,
        [
            {"event_id": event_id, "batch_id": batch.id, "role": role, "mass_delta_g": delta}
            for batch, role, delta in ledger
        ],
    )
    connection.execute(_MOVE_HEAD, {"to_seq": values["seq"], "to_hash": digest})
    return Event(id=event_id, **values)


@dataclass
class VerifyResult:
    """What ``verify`` found: ``problem`` names the first bad event (``seq``), or the first
    batch row that differs from its events (``seq`` None, ``batch_problems`` all of them)."""

    ok: bool
    events: int
    problem: str | None = None
    seq: int | None = None
    batches: int = 0
    batch_problems: list[str] = field(default_factory=list)


def verify(session: Session, chunk: int = 2000) -> VerifyResult:
    """Walk the chain in order and name the first altered, missing or reordered event, then
    check every batch row against the replayed ledger."""
    prev_hash, expected, count = GENESIS, 1, 0
    ledger_replay = replay.Replay()
    batch_codes = dict(session.exec(select(Batch.id, Batch.code)).all())
    last_id = 0
    while True:
        events = session.exec(
            select(Event)
            .where(Event.id > last_id)
            .order_by(Event.id)
            .limit(chunk)
            .execution_options(populate_existing=True)  # what is stored, not what we cached
        ).all()
        if not events:
            break
        ids = [e.id for e in events]
        rows = session.exec(
            select(EventBatch).where(EventBatch.event_id.in_(ids)).order_by(EventBatch.id)
        ).all()
        ledgers: dict[int, list] = {}
        for row in rows:
            ledgers.setdefault(row.event_id, []).append(
                {
                    "batch": batch_codes.get(row.batch_id),
                    "role": row.role,
                    "deltaG": row.mass_delta_g,
                }
            )
        for event in sorted(events, key=lambda e: e.seq):
            problem, payload = _check(event, prev_hash, expected, ledgers.get(event.id, []))
            problem = problem or _replay(ledger_replay, event.seq, payload)
            if problem:
                return VerifyResult(False, count, problem, event.seq)
            prev_hash, expected, count = event.hash, expected + 1, count + 1
        last_id = events[-1].id
    head = session.get(ChainHead, 1, populate_existing=True)
    if head is not None and (head.seq != expected - 1 or head.hash != prev_hash):
        return VerifyResult(
            False,
            count,
            _(
                "event %(expected)s and later are missing (the chain head is at %(head)s)",
                expected=expected,
                head=head.seq,
            ),
            expected,
        )
    problems = ledger_replay.compare(session)
    if problems:
        more = len(problems) - 1
        problem = (
            problems[0]
            if not more
            else _(
                "%(problem)s (and %(n)d more differences in batch rows)",
                problem=problems[0],
                n=more,
            )
        )
        return VerifyResult(False, count, problem, None, len(ledger_replay.batches), problems)
    return VerifyResult(True, count, batches=len(ledger_replay.batches))


def _replay(ledger_replay: replay.Replay, seq: int, payload: dict) -> str | None:
    try:
        ledger_replay.apply(payload)
    except replay.ReplayError as error:
        return _("event %(seq)s cannot follow the events before it: %(why)s", seq=seq, why=error)
    except (KeyError, TypeError, ValueError, AttributeError):
        return _("event %(seq)s cannot be replayed: its content is incomplete", seq=seq)
    return None


def _check(
    event: Event, prev_hash: str, expected: int, ledger: list
) -> tuple[str | None, dict | None]:
    """The problem with one stored event, if any, and its parsed content."""
    if event.seq > expected:
        return _(
            "event %(expected)s is missing (the next stored event is %(seq)s)",
            expected=expected,
            seq=event.seq,
        ), None
    if event.seq < expected:
        return _("event %(seq)s appears twice or out of order", seq=event.seq), None
    try:
        payload = json.loads(event.payload)
    except ValueError:
        return _("event %(seq)s was altered: its content is not valid JSON", seq=event.seq), None
    if event_hash(event.prev_hash, event.payload) != event.hash:
        return _(
            "event %(seq)s was altered: its content does not match its hash", seq=event.seq
        ), None
    if payload.get("circ:seq") != event.seq:
        recorded = payload.get("circ:seq")
        return _(
            "event %(seq)s was reordered: its content was recorded as event %(recorded)s",
            seq=event.seq,
            recorded=recorded,
        ), None
    if event.prev_hash != prev_hash:
        return _(
            "event %(seq)s was reordered or an event before it was replaced", seq=event.seq
        ), None
    for column, key in COLUMN_FIELDS.items():
        if getattr(event, column) != payload.get(key):
            return _(
                "event %(seq)s was altered: column %(column)s differs from its content",
                seq=event.seq,
                column=column,
            ), None
    if not _same_time(event.event_time, payload.get("eventTime")):
        return _(
            "event %(seq)s was altered: column event_time differs from its content",
            seq=event.seq,
        ), None
    if ledger != payload.get("circ:ledger"):
        return _(
            "event %(seq)s was altered: its mass ledger differs from its content", seq=event.seq
        ), None
    return None, payload


def _same_time(column: datetime, text: str | None) -> bool:
    """The event_time column, which keeps the clock's microseconds, against the payload's
    eventTime, which keeps milliseconds (EPCIS)."""
    try:
        recorded = replay.event_time({"eventTime": text})
    except (TypeError, ValueError):
        return False
    return timedelta(0) <= replay.aware(column) - recorded < replay.TIME_RESOLUTION
