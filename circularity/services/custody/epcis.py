"""The event log as a standard EPCIS 2.0 JSON-LD document (docs/epcis.md).

Events are recorded in the EPCIS vocabulary from the start, and the recorded payload is what the
hash chain protects, so the export never rewrites history: it maps each recorded event to the
EPCIS a receiver needs, with the park's identifiers as they are configured today.

- ``eventID`` is the recorded ``urn:uuid`` (stable across exports); ``recordTime`` is when the
  park recorded the event.
- Batches are named by their permanent label URL (``epcList`` and the class of their mass in
  ``quantityList``: EPCIS attaches quantities only to classes), their mass in integer grams
  (``GRM``) as the ledger holds it; sites and parties by a GLN when
  the company has one, otherwise by URIs under ``BASE_URL`` (``locations``).
- ``readPoint`` is the acting company's site; ``bizLocation`` where the batch is afterwards
  (none while in transit, none once destroyed or disposed of).
- A shipment hands the batch to its carrier and a receipt takes it over: the carrier is the
  ``possessing_party`` at the shipment's destination and at the receipt's source, while
  ``owning_party`` goes from the sender to the receiver (CBV 2.0, source/destination types).
- A correction is exported as itself and as an EPCIS error declaration: the corrected event
  again, unchanged, with ``errorDeclaration`` (reason ``incorrect_data``) naming the correction
  in ``correctiveEventIDs`` (EPCIS 2.0, section 7.4.1.4).
- Closings without outputs take the CBV 2.0 disposition their operation means (``disposition``).
- The header lists the CBV 2.0 event hash of every event (``event_hash``) and carries the
  latest signed checkpoint of the log, when there is one.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, select

from circularity.config import setting
from circularity.models import Batch, Company, Event, EventBatch
from circularity.services.custody import checkpoints, locations
from circularity.services.custody.event_hash import event_hash
from circularity.services.errors import InvalidInput

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EXTENSION_NAMESPACE = "https://circularity.dev/epcis/"
NAMESPACES = {"circ": EXTENSION_NAMESPACE}
BATCH_URN = "urn:circularity:batch:"
#: Recorded fields that are the park's own bookkeeping, not part of what an event says.
PRIVATE = frozenset({"circ:userID", "circ:clientEventID"})
QUANTITY_EPCS = (
    ("quantityList", "epcList"),
    ("inputQuantityList", "inputEPCList"),
    ("outputQuantityList", "outputEPCList"),
)


def disposition(route: str) -> tuple[str, str]:
    """The bizStep and disposition of a closing that leaves no output batch, by CBV 2.0.

    ``inactive`` is a "decommissioned object that may be reintroduced to the supply chain":
    true of material sent to recycling (R2-R13) under a new identity, not of what is burnt or
    disposed of. Energy recovery (R1) and incineration (D10, D11) leave the material "fully
    rendered non-usable", ``destroyed``; the other disposal operations (landfill, injection,
    release, permanent storage: D1-D9, D12-D15) are ``disposed``, "returned for disposal".
    Both are ``destroying``, "terminating an object"; recycling is ``decommissioning``.
    """
    if route in ("R1", "D10", "D11"):
        return "destroying", "destroyed"
    if route.startswith("D"):
        return "destroying", "disposed"
    return "decommissioning", "inactive"


@dataclass
class _Park:
    """What the mapping needs besides the events: addresses, GLNs, carriers, corrected events."""

    session: Session
    base_url: str
    glns: dict[int, str | None]
    carriers: dict[str, str] = field(default_factory=dict)

    def site(self, company_id: int) -> str:
        return locations.site_uri(self.base_url, company_id, self.glns.get(company_id))

    def party(self, company_id: int) -> str:
        return locations.party_uri(self.base_url, company_id, self.glns.get(company_id))

    def batch(self, epc_class: str) -> str:
        return locations.batch_uri(self.base_url, epc_class.removeprefix(BATCH_URN))

    def carrier_before(self, code: str, seq: int) -> str | None:
        """The carrier of the batch's latest shipment before event ``seq``."""
        if code in self.carriers:
            return self.carriers[code]
        shipped = self.session.exec(
            select(Event.payload)
            .join(EventBatch, EventBatch.event_id == Event.id)
            .join(Batch, Batch.id == EventBatch.batch_id)
            .where(Batch.code == code, Event.operation == "ship", Event.seq < seq)
            .order_by(Event.seq.desc())
            .limit(1)
        ).first()
        return json.loads(shipped).get("circ:carrier") if shipped else None


def _grams(epc_class: str, recorded: dict) -> dict:
    """A recorded quantity (kilograms with at most three places) as the integer grams the
    ledger holds, unit GRM. In JSON-LD a number with a fraction becomes an xsd:double
    lexical form ("9.5E0"), which is no xsd:decimal, the type EPCIS gives quantities; an
    integer is both exact and well-formed."""
    if recorded["uom"] != "KGM":
        raise ValueError(f"a recorded quantity in {recorded['uom']}, not KGM")
    return {"epcClass": epc_class, "quantity": round(recorded["quantity"] * 1000), "uom": "GRM"}


def _utc(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v is not None]
    return value


def event_to_epcis(event: Event, park: _Park) -> dict:
    """One recorded event as EPCIS 2.0 JSON-LD with the park's identifiers."""
    payload = json.loads(event.payload)
    company = payload["circ:companyID"]
    out: dict = {
        "type": payload["type"],
        "eventID": payload["eventID"],
        "eventTime": payload["eventTime"],
        "eventTimeZoneOffset": payload["eventTimeZoneOffset"],
        "recordTime": _utc(event.record_time),
    }
    codes: list[str] = []
    for quantities, epcs in QUANTITY_EPCS:
        if payload.get(quantities):
            items = payload[quantities]
            codes += [q["epcClass"].removeprefix(BATCH_URN) for q in items]
            out[epcs] = [park.batch(q["epcClass"]) for q in items]
    for quantities, _ in QUANTITY_EPCS:
        if payload.get(quantities):
            out[quantities] = [_grams(park.batch(q["epcClass"]), q) for q in payload[quantities]]
    if payload.get("action"):
        out["action"] = payload["action"]
    biz_step, disp = payload["bizStep"], payload["disposition"]
    operation = payload.get("circ:operation")
    ends = operation == "close" and payload["type"] == "ObjectEvent"
    if ends:
        biz_step, disp = disposition(payload["circ:operationCode"])
    out["bizStep"], out["disposition"] = biz_step, disp
    out["readPoint"] = {"id": park.site(company)}
    if operation != "ship" and not ends:
        out["bizLocation"] = {"id": park.site(company)}
    if operation in ("ship", "receive"):
        out.update(_transfer(payload, park, codes[0], event.seq))
    if payload.get("ilmd"):
        out["ilmd"] = _without_none(payload["ilmd"])
    for key, value in payload.items():
        if key.startswith("circ:") and key not in PRIVATE and value is not None:
            out[key] = _without_none(value)
    out["circ:seq"] = event.seq
    return out


def _transfer(payload: dict, park: _Park, code: str, seq: int) -> dict:
    """Source and destination of a shipment or receipt: owner, possessor and site at each end."""
    sender, receiver = payload["circ:sourceCompanyID"], payload["circ:destinationCompanyID"]
    if payload["circ:operation"] == "ship":
        carrier = payload.get("circ:carrier")
        park.carriers[code] = carrier
        sender_holds, receiver_holds = park.party(sender), None
        carrier_at = "destination"
    else:
        carrier = park.carrier_before(code, seq)
        sender_holds, receiver_holds = None, park.party(receiver)
        carrier_at = "source"
    carrier_uri = locations.carrier_uri(park.base_url, carrier) if carrier else None
    source = [
        ("owning_party", park.party(sender)),
        ("possessing_party", carrier_uri if carrier_at == "source" else sender_holds),
        ("location", park.site(sender)),
    ]
    destination = [
        ("owning_party", park.party(receiver)),
        ("possessing_party", carrier_uri if carrier_at == "destination" else receiver_holds),
        ("location", park.site(receiver)),
    ]
    return {
        "sourceList": [{"type": t, "source": uri} for t, uri in source if uri],
        "destinationList": [{"type": t, "destination": uri} for t, uri in destination if uri],
    }


def _error_declaration(correction: Event, mapped: dict, park: _Park) -> dict | None:
    """The corrected event again, declared wrong by ``correction`` (EPCIS 7.4.1.4)."""
    corrected = park.session.exec(
        select(Event).where(Event.seq == correction.corrects_event_seq)
    ).first()
    if corrected is None:
        return None
    declared = event_to_epcis(corrected, park)
    declared["errorDeclaration"] = {
        "declarationTime": mapped["eventTime"],
        "reason": "incorrect_data",
        "correctiveEventIDs": [mapped["eventID"]],
    }
    # It is the same event (same eventID, same hash): it keeps its recordTime, and when it was
    # declared wrong is the declarationTime.
    return declared


def items(event: Event, park: _Park) -> list[dict]:
    """What one recorded event becomes in the document: the event, and after a correction
    the corrected event again with its error declaration."""
    mapped = event_to_epcis(event, park)
    if event.operation == "correct" and event.corrects_event_seq is not None:
        declared = _error_declaration(event, mapped, park)
        if declared is not None:
            return [mapped, declared]
    return [mapped]


def park_of(session: Session) -> _Park:
    """The identifiers every mapping of this park's events needs."""
    glns = dict(session.exec(select(Company.id, Company.gln)).all())
    return _Park(session, setting("BASE_URL"), glns)


def document(events: Iterable[Event], park: _Park, checkpoint: dict | None = None) -> dict:
    """The EPCIS document of ``events`` in chain order, with an error declaration after each
    correction and the event hashes (and the latest checkpoint) in the header."""
    body = [item for event in events for item in items(event, park)]
    hashes = {}
    for item in body:
        hashes.setdefault(item["eventID"], event_hash(item, NAMESPACES))
    header: dict = {
        "circ:eventHashes": [{"circ:event": k, "circ:hash": v} for k, v in hashes.items()]
    }
    if checkpoint is not None:
        header["circ:checkpoint"] = checkpoint
    return {
        "@context": [EPCIS_CONTEXT, NAMESPACES],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _utc(datetime.now(UTC)),
        "epcisHeader": header,
        "epcisBody": {"eventList": body},
    }


def parse_since(value: str | None) -> int:
    """The ``since`` of an export request: a sequence number, 0 (the default) for all events."""
    text = (value or "0").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidInput("Give the sequence number after which to export, such as 120.", "since")
    return int(text)


def export(session: Session, since_seq: int = 0) -> dict:
    """Every event after ``since_seq``, in chain order, as one EPCIS 2.0 document."""
    events = session.exec(select(Event).where(Event.seq > since_seq).order_by(Event.seq)).all()
    park = park_of(session)
    latest = checkpoints.latest_checkpoint(session)
    signed = None
    if latest is not None:
        signed = {
            "circ:treeSize": latest.tree_size,
            "circ:rootHash": latest.root_hash,
            "circ:headHash": latest.head_hash,
            "circ:signedAt": _utc(latest.signed_at),
            "circ:note": latest.note,
        }
    return document(events, park, signed)
