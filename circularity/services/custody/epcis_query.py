"""The EPCIS 2.0 REST bindings' event query over the park's event log (docs/epcis.md).

The query answers with the same events the export writes (``epcis.export``: same eventIDs,
same identifiers, error declarations after their corrections), filtered by the standard query
parameters and cut into pages. A page token is the position after the page's last event in
that ordered list: the log only grows at its end, so a token stays valid while events are
added.
"""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

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


def _start(args) -> int:
    token = args.get("nextPageToken")
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii") + b"==").decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    if not (text.isdigit() and len(text) < 18):
        raise InvalidInput("This page token is not one the query gave.", "nextPageToken")
    return int(text)


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode("ascii")).decode("ascii").rstrip("=")


def query(session: Session, args) -> Page:
    """One page of the events that pass every filter of ``args``, in chain order."""
    tests = filters(args)
    size, start = per_page(args), _start(args)
    events = epcis.export(session)["epcisBody"]["eventList"]
    found = [e for e in events if all(test(e) for test in tests)]
    page = found[start : start + size]
    more = start + size < len(found)
    return Page(page, _token(start + size) if more else None)


def event(session: Session, event_id: str) -> dict | None:
    """The event ``event_id`` as the export writes it; when it was declared wrong, the
    declaration (the same event with its ``errorDeclaration``), which comes after it."""
    found = None
    for item in epcis.export(session)["epcisBody"]["eventList"]:
        if item["eventID"] == event_id:
            found = item
    return found
