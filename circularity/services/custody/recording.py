"""Recording one operation as one EPCIS event, exactly once per client-supplied id.

A phone on a bad connection may send the same request twice. Each form carries a
client event id; the second request finds the event the first one recorded and gets the
same answer, so nothing is counted twice.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam
from sqlmodel import Session, select

from circularity.db import rows
from circularity.models import Batch, Company, Event, EventBatch, User
from circularity.services.custody import chain
from circularity.services.errors import Conflict, InvalidInput
from circularity.times import park_timezone

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


@dataclass
class Outcome:
    """What an operation did: the event, the batches it touched and whether it was new."""

    event: Event
    batch_codes: list[str] = field(default_factory=list)
    replayed: bool = False

    @property
    def primary_code(self) -> str:
        return self.batch_codes[0]


def check_client_id(client_event_id: str) -> str:
    if not client_event_id or not CLIENT_ID_PATTERN.match(client_event_id):
        raise InvalidInput(
            "A client event id of 8-64 letters, digits or -_.: is required.", "client_event_id"
        )
    return client_event_id


# Built once: every write asks the first; only a retry loads the event.
_CLIENT_ID_TAKEN = select(Event.id).where(Event.client_event_id == bindparam("client_event_id"))
_BY_CLIENT_ID = select(Event).where(Event.client_event_id == bindparam("client_event_id"))


def replay(session: Session, client_event_id: str, operation: str, user: User) -> Outcome | None:
    """The outcome already recorded under this client id, if any.

    Raises Conflict when the id was used for a different operation or by another person:
    that is a client bug, never a retry.
    """
    params = {"client_event_id": client_event_id}
    if rows(session, _CLIENT_ID_TAKEN, params).first() is None:
        return None
    event = session.exec(_BY_CLIENT_ID, params=params).one()
    if event.operation != operation or event.user_id != user.id:
        raise Conflict(
            "This form was already used for another action; reload the page.", "client_event_id"
        )
    codes = session.exec(
        select(Batch.code)
        .join(EventBatch, EventBatch.batch_id == Batch.id)
        .where(EventBatch.event_id == event.id)
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
    *,
    operation: str,
    user: User,
    company: Company,
    client_event_id: str,
    event_type: str,
    biz_step: str,
    disposition: str,
    ledger: list[tuple[Batch, str, int]],
    action: str | None = None,
    fields: dict | None = None,
    event_time: datetime | None = None,
) -> Outcome:
    """Append the event for one operation and return its outcome (of ``company``, the
    readPoint, only the id is used)."""
    when = (event_time or datetime.now(UTC)).astimezone(park_timezone())
    offset = when.strftime("%z")
    payload = {
        "type": event_type,
        "eventID": chain.new_event_id(),
        "eventTime": when.isoformat(timespec="milliseconds"),
        "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
        "bizStep": biz_step,
        "disposition": disposition,
        "readPoint": {"id": company_uri(company.id)},
        "action": action,
        "circ:operation": operation,
        "circ:clientEventID": client_event_id,
        "circ:companyID": company.id,
        "circ:userID": user.id,
        "circ:sourceCompanyID": None,
        "circ:destinationCompanyID": None,
        "circ:distanceKm": None,
        "circ:operationCode": None,
        "circ:correctsEventSeq": None,
    }
    payload.update(fields or {})
    event = chain.append(session, payload, ledger, when.astimezone(UTC))
    # The dashboard's totals, in the same transaction. Imported here: aggregates follows
    # analysis's rules, and analysis uses this module's park time zone.
    from circularity.services.analysis import monthly_totals

    monthly_totals.add_event(session, event, ledger)
    return Outcome(event, [batch.code for batch, _, _ in ledger])
