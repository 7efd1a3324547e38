"""The event log as a standard EPCIS 2.0 JSON document.

Events are recorded in the EPCIS vocabulary from the start, so exporting them is a mapping:
drop the fields an event type does not use (stored as null so that every event hashes the
same set of keys) and declare circularity's extension prefix in the JSON-LD context.
"""

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlmodel import Session, select

from circularity.models import Event

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EXTENSION_NAMESPACE = "https://circularity.dev/epcis/"


def event_to_epcis(event: Event) -> dict:
    payload = json.loads(event.payload)
    return {key: value for key, value in payload.items() if value is not None}


def document(events: Iterable[Event]) -> dict:
    return {
        "@context": [EPCIS_CONTEXT, {"circ": EXTENSION_NAMESPACE}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "epcisBody": {"eventList": [event_to_epcis(e) for e in events]},
    }


def export(session: Session, since_seq: int = 0) -> dict:
    """Every event after ``since_seq``, in chain order."""
    events = session.exec(select(Event).where(Event.seq > since_seq).order_by(Event.seq)).all()
    return document(events)
