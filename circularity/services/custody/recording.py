"""One custody operation, done once and recorded as one EPCIS event.

Every operation on batches takes the same steps: check the form's client event id, open the
write transaction, answer a retry with what the first request did (``idempotency``), load and
lock the batches it names, check that this person may take the action on them as the page
showed them, do the operation's own work, raise the batches' versions and append the event.
``perform`` takes those steps; an operation (``operations``, ``transform``) only supplies its
own work, as a function that returns the ``Step`` to record.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam
from sqlmodel import Session, select

from circularity.db import rows, write_transaction
from circularity.models import Batch, Event, EventBatch, User
from circularity.services import idempotency
from circularity.services.custody import access, chain
from circularity.times import park_timezone


@dataclass
class Outcome:
    """What an operation did: the event, the batches it touched and whether it was new."""

    event: Event
    batch_codes: list[str] = field(default_factory=list)
    replayed: bool = False

    @property
    def primary_code(self) -> str:
        return self.batch_codes[0]


# What cannot be taken back once recorded: the page asks before it records these.
IRREVERSIBLE = frozenset({"ship", "split", "merge", "close", "correct"})


class ConfirmationNeeded(Exception):  # noqa: N818 (a request for a step, not a failure)
    """The operation was checked and would record ``event`` with ``ledger``; it was rolled
    back so that the person can confirm it first (``perform(confirmed=False)``).

    ``warning`` says why a confirmation is asked beyond the action being irreversible (a
    received mass far from what was sent)."""

    def __init__(self, event: Event, ledger: list[tuple[str, str, int]], warning: str | None):
        super().__init__(event.operation)
        self.event = event
        self.payload = json.loads(event.payload)
        self.ledger = ledger
        self.warning = warning


@dataclass
class Step:
    """What an operation's own work leaves to record: the event's kind and content, the
    company acting (the readPoint) and the mass ledger, (batch, role, grams) per batch."""

    company_id: int
    event_type: str
    biz_step: str
    disposition: str
    ledger: list[tuple[Batch, str, int]]
    fields: dict
    action: str | None = None
    # Work that needs the recorded event (a shipment linked to its exchange).
    then: Callable[[Event], None] | None = None
    # Why this step should be confirmed before it is recorded, beyond being irreversible.
    warning: str | None = None


def perform(
    session: Session,
    user: User,
    operation: str,
    *,
    client_event_id: str,
    work: Callable[..., Step],
    codes: Sequence[str] | Callable[[], Sequence[str]] = (),
    expected_version: str | int | None = None,
    event_time: datetime | None = None,
    request: Mapping[str, object] | None = None,
    confirmed: bool = True,
) -> Outcome:
    """Do ``operation`` on the batches ``codes`` names, once per client event id.

    ``request`` holds the values as they were sent: a second request with the same client
    event id and the same values is a retry and gets the first one's outcome; with other
    values it is another event typed into a used form, and is refused
    (``idempotency.digest``).

    With ``confirmed`` false, an irreversible operation, or one whose step carries a warning,
    is done and then rolled back: ConfirmationNeeded carries what it would record, for the
    page to show before the person sends it again confirmed.

    ``work`` gets the batches, loaded, locked and checked (``access.require_action`` with
    ``expected_version``), validates its values, changes the rows and returns the Step to
    record; it raises before writing anything. ``codes`` may be a function where naming the
    batches can fail (merge needs two), so that a retry is answered before it is asked.
    """
    idempotency.check(client_event_id, "client_event_id")
    digest = idempotency.digest(operation, request or {})
    with write_transaction(session):
        idempotency.hold(session, client_event_id)
        if done := replay(session, client_event_id, operation, user, digest):
            return done
        named = codes() if callable(codes) else codes
        batches = [access.get_batch(session, user, code, lock=True) for code in named]
        for batch in batches:
            access.require_action(user, batch, operation, expected_version)
        step = work(*batches)
        for batch in batches:
            batch.version += 1
            session.add(batch)
        outcome = record(
            session,
            step,
            operation=operation,
            user=user,
            client_event_id=client_event_id,
            event_time=event_time,
            request_digest=digest,
        )
        if not confirmed and (operation in IRREVERSIBLE or step.warning):
            ledger = [(batch.code, role, grams) for batch, role, grams in step.ledger]
            raise ConfirmationNeeded(outcome.event, ledger, step.warning)
        if step.then is not None:
            step.then(outcome.event)
        return outcome


# Built once: every write asks it; only a retry loads the event.
_EARLIER = select(Event.id, Event.user_id, Event.operation).where(
    Event.client_event_id == bindparam("client_event_id")
)


def replay(
    session: Session, client_event_id: str, operation: str, user: User, digest: str = ""
) -> Outcome | None:
    """The outcome already recorded under this client id, if any; raises Conflict when the
    id was used by another person or for another operation (``idempotency.require_same``),
    and InvalidInput when it was sent with other values (``digest`` differs)."""
    earlier = rows(session, _EARLIER, {"client_event_id": client_event_id}).first()
    if earlier is None:
        return None
    idempotency.require_same("client_event_id", user, earlier.user_id, operation, earlier.operation)
    event = session.get(Event, earlier.id)
    idempotency.require_same_values(
        "client_event_id", json.loads(event.payload).get("circ:requestDigest"), digest
    )
    codes = session.exec(
        select(Batch.code)
        .join(EventBatch, EventBatch.batch_id == Batch.id)
        .where(EventBatch.event_id == earlier.id)
        .order_by(EventBatch.id)
    ).all()
    return Outcome(event, list(codes), replayed=True)


def batch_uri(batch: Batch) -> str:
    return f"urn:circularity:batch:{batch.code}"


def company_uri(company_id: int) -> str:
    return f"urn:circularity:company:{company_id}"


def quantity(batch: Batch, grams: int) -> dict:
    """An EPCIS quantity element. EPCIS wants a JSON number; a gram count divided by 1000
    is a decimal with at most three places, which a double holds and prints back exactly.
    The exact integer grams are in the event's mass ledger."""
    return {"epcClass": batch_uri(batch), "quantity": grams / 1000, "uom": "KGM"}


def record(
    session: Session,
    step: Step,
    *,
    operation: str,
    user: User,
    client_event_id: str,
    event_time: datetime | None = None,
    request_digest: str | None = None,
) -> Outcome:
    """Append the event of one operation's step to the chain and return its outcome."""
    when = (event_time or datetime.now(UTC)).astimezone(park_timezone())
    offset = when.strftime("%z")
    payload = {
        "type": step.event_type,
        "eventID": chain.new_event_id(),
        "eventTime": when.isoformat(timespec="milliseconds"),
        "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
        "bizStep": step.biz_step,
        "disposition": step.disposition,
        "readPoint": {"id": company_uri(step.company_id)},
        "action": step.action,
        "circ:operation": operation,
        "circ:clientEventID": client_event_id,
        "circ:companyID": step.company_id,
        "circ:userID": user.id,
        "circ:sourceCompanyID": None,
        "circ:destinationCompanyID": None,
        "circ:distanceKm": None,
        "circ:operationCode": None,
        "circ:correctsEventSeq": None,
        "circ:requestDigest": request_digest,
    }
    payload.update(step.fields)
    event = chain.append(session, payload, step.ledger, when.astimezone(UTC))
    # The dashboard's totals, in the same transaction. Imported here: monthly totals follow
    # analysis's rules, and analysis reads custody's events.
    from circularity.services.analysis import monthly_totals

    monthly_totals.add_event(session, event, step.ledger)
    return Outcome(event, [batch.code for batch, _, _ in step.ledger])
