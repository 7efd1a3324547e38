"""The EPCIS 2.0 REST bindings' event query over the park's event log (docs/epcis.md).

The query answers with the same events the export writes (``epcis.export``: same eventIDs,
same identifiers, error declarations after their corrections), filtered by the standard query
parameters and cut into pages. The log is read in chain order a chunk at a time, from where
the page starts, until the page is full, so a page costs what it reads, not the whole log.
Filters on columns the event row keeps (type, times, eventID) are also given to the database,
loosely enough never to drop an event the exact test would keep; corrections always pass
that coarse filter, since the error declaration they add is another event's. A page token is
the position after the page's last event, (sequence number, item of that row): the log only
grows at its end, so a token stays valid while events are added.
"""

import base64
import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import false, or_
from sqlmodel import Session, col, select

from circularity.models import Event
from circularity.services.custody import epcis
from circularity.services.errors import InvalidInput

EVENT_TYPES = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    }
)
PER_PAGE = 30
MAX_PER_PAGE = 1000
#: Event rows read from the database at a time.
CHUNK = 500
#: The coarse filter's margin on times: the exact test reads the payload's time, the coarse
#: one the row's column, so a day either side keeps them from ever disagreeing.
SLACK = timedelta(days=1)
#: recordTime is the row's column written to the millisecond, cut, not rounded: a row may
#: be up to a millisecond later than the time the exact test compares.
RECORD_SLACK = timedelta(milliseconds=1)
#: CBV vocabularies may be named by their bare word or by either of their URIs.
_VOCABULARY_PREFIXES = {
    "bizStep": ("https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:"),
    "disposition": ("https://ref.gs1.org/cbv/Disp-", "urn:epcglobal:cbv:disp:"),
}
#: Every parameter the query understands; any other is refused, as the bindings ask.
PARAMETERS = frozenset(
    {
        "eventType",
        "GE_eventTime",
        "LT_eventTime",
        "GE_recordTime",
        "LT_recordTime",
        "EQ_bizStep",
        "EQ_disposition",
        "EQ_readPoint",
        "EQ_bizLocation",
        "MATCH_epc",
        "MATCH_anyEPC",
        "EQ_eventID",
        "EXISTS_errorDeclaration",
        "perPage",
        "nextPageToken",
    }
)


@dataclass
class Page:
    events: list[dict]
    next_token: str | None


def _values(args, name: str) -> list[str]:
    found = []
    for value in args.getlist(name):
        found += [part.strip() for part in value.split(",") if part.strip()]
    return found


def _moment(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput("Give a time with its offset, such as 2026-03-01T00:00:00Z.", name)
    return moment


def _word(kind: str, value: str) -> str:
    for prefix in _VOCABULARY_PREFIXES[kind]:
        if value.startswith(prefix):
            return value.removeprefix(prefix)
    return value


def _epcs(event: dict) -> set[str]:
    found = set(event.get("epcList", []))
    found |= set(event.get("inputEPCList", [])) | set(event.get("outputEPCList", []))
    for name in ("quantityList", "inputQuantityList", "outputQuantityList"):
        found |= {q["epcClass"] for q in event.get(name, [])}
    return found


def _matches(pattern: str, epcs: set[str]) -> bool:
    """EPC matching: an exact identifier, or a prefix ending in ``*``."""
    if pattern.endswith("*"):
        return any(epc.startswith(pattern[:-1]) for epc in epcs)
    return pattern in epcs


def filters(args) -> list[Callable[[dict], bool]]:
    """The tests an event must pass for the query ``args`` (a werkzeug MultiDict).

    Raises InvalidInput (the bindings' QueryParameterException) for an unknown parameter or
    a value that cannot be read.
    """
    for name in args:
        if name not in PARAMETERS:
            raise InvalidInput("This query parameter is not supported.", name)
    tests: list[Callable[[dict], bool]] = []
    types = _values(args, "eventType")
    if types:
        unknown = set(types) - EVENT_TYPES
        if unknown:
            raise InvalidInput("This is not an EPCIS event type.", "eventType")
        tests.append(lambda e: e["type"] in types)
    for name, field, later in (
        ("GE_eventTime", "eventTime", True),
        ("LT_eventTime", "eventTime", False),
        ("GE_recordTime", "recordTime", True),
        ("LT_recordTime", "recordTime", False),
    ):
        if name in args:
            bound = _moment(args[name], name)

            def test(e, field=field, bound=bound, later=later):
                moment = datetime.fromisoformat(e[field].replace("Z", "+00:00"))
                return moment >= bound if later else moment < bound

            tests.append(test)
    for name, kind in (("EQ_bizStep", "bizStep"), ("EQ_disposition", "disposition")):
        wanted = {_word(kind, v) for v in _values(args, name)}
        if wanted:
            tests.append(lambda e, kind=kind, wanted=wanted: _word(kind, e.get(kind, "")) in wanted)
    for name, field in (("EQ_readPoint", "readPoint"), ("EQ_bizLocation", "bizLocation")):
        wanted = set(_values(args, name))
        if wanted:
            tests.append(
                lambda e, field=field, wanted=wanted: (e.get(field) or {}).get("id") in wanted
            )
    for name in ("MATCH_epc", "MATCH_anyEPC"):
        patterns = _values(args, name)
        if patterns:
            tests.append(lambda e, patterns=patterns: any(_matches(p, _epcs(e)) for p in patterns))
    ids = set(_values(args, "EQ_eventID"))
    if ids:
        tests.append(lambda e: e["eventID"] in ids)
    if "EXISTS_errorDeclaration" in args:
        tests.append(lambda e: "errorDeclaration" in e)
    return tests


def per_page(args) -> int:
    text = args.get("perPage", str(PER_PAGE)).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PER_PAGE:
        raise InvalidInput(
            "Give perPage as a whole number from 1 to %(most)d.",
            "perPage",
            most=MAX_PER_PAGE,
        )
    return int(text)


def _start(args) -> tuple[int, int]:
    """Where the page starts: after item ``k`` of the event row ``seq`` (-1: at its start)."""
    token = args.get("nextPageToken")
    if token is None:
        return 0, -1
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii") + b"==").decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    seq, _, item = text.partition(".")
    if not (seq.isdigit() and item.isdigit() and len(seq) < 18 and len(item) < 3):
        raise InvalidInput("This page token is not one the query gave.", "nextPageToken")
    return int(seq), int(item)


def _token(seq: int, item: int) -> str:
    text = f"{seq}.{item}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def coarse(args) -> list:
    """Conditions on the event rows that keep every row whose items could pass ``filters``:
    a correction always (its declaration is the corrected event's), otherwise the row's own
    type, eventID and times: the record time as written, the event time (the payload's, not
    the column's) a day wider than asked."""
    conditions = []
    types = _values(args, "eventType")
    if types:
        conditions.append(col(Event.event_type).in_(types))
    ids = _values(args, "EQ_eventID")
    if ids:
        conditions.append(col(Event.event_id).in_(ids))
    for name, column, later, slack in (
        ("GE_eventTime", Event.event_time, True, SLACK),
        ("LT_eventTime", Event.event_time, False, SLACK),
        ("GE_recordTime", Event.record_time, True, timedelta(0)),
        ("LT_recordTime", Event.record_time, False, RECORD_SLACK),
    ):
        if name in args:
            bound = _moment(args[name], name).astimezone(UTC)
            conditions.append(column >= bound - slack if later else column < bound + slack)
    if "EXISTS_errorDeclaration" in args:
        conditions.append(false())
    if not conditions:
        return []
    return [or_(Event.operation == "correct", *conditions)]


def _rows(session: Session, where: list, first_seq: int) -> Iterator[Event]:
    """The event rows from ``first_seq`` on that pass ``where``, in chain order, a chunk at
    a time."""
    after = first_seq - 1
    while True:
        chunk = session.exec(
            select(Event).where(Event.seq > after, *where).order_by(Event.seq).limit(CHUNK)
        ).all()
        yield from chunk
        if len(chunk) < CHUNK:
            return
        after = chunk[-1].seq


def query(session: Session, args) -> Page:
    """One page of the events that pass every filter of ``args``, in chain order."""
    tests, where = filters(args), coarse(args)
    size = per_page(args)
    start_seq, start_item = _start(args)
    park = epcis.park_of(session)
    page: list[dict] = []
    last = (start_seq, start_item)
    for row in _rows(session, where, start_seq):
        for position, item in enumerate(epcis.items(row, park)):
            if row.seq == start_seq and position <= start_item:
                continue
            if all(test(item) for test in tests):
                if len(page) == size:  # one more passes: the page has a next one
                    return Page(page, _token(*last))
                page.append(item)
                last = (row.seq, position)
    return Page(page, None)


def event(session: Session, event_id: str) -> dict | None:
    """The event ``event_id`` as the export writes it; when it was declared wrong, the
    declaration (the same event with its ``errorDeclaration``), which comes after it."""
    row = session.exec(select(Event).where(Event.event_id == event_id)).first()
    if row is None:
        return None
    park = epcis.park_of(session)
    found = epcis.items(row, park)[0]
    corrections = session.exec(
        select(Event)
        .where(Event.operation == "correct", Event.corrects_event_seq == row.seq)
        .order_by(Event.seq)
    ).all()
    for correction in corrections:
        for item in epcis.items(correction, park)[1:]:
            found = item
    return found
