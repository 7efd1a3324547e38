"""The CBV 2.0 event hash: the reference implementation's test vectors, a pre-hash string
written out by hand, and the invariances the algorithm promises."""

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circularity.services.custody.event_hash import (
    UnsupportedEvent,
    check_digit,
    event_hash,
    pre_hash,
)

VECTORS = Path(__file__).parent / "data" / "event_hash"


def namespaces(document: dict) -> dict:
    context = document.get("@context", [])
    found = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            found.update(item)
    return found


def events(document: dict) -> list:
    body = document["epcisBody"]
    if "eventList" in body:
        return body["eventList"]
    return body["queryResults"]["resultsBody"]["eventList"]


def vector_cases() -> list:
    cases = []
    for path in sorted(VECTORS.glob("*.jsonld")):
        document = json.loads(path.read_text(encoding="utf-8"))
        hashes = path.with_suffix(".hashes").read_text(encoding="utf-8").split()
        for i, event in enumerate(events(document)):
            cases.append(
                pytest.param(event, namespaces(document), hashes[i], id=f"{path.stem}-{i}")
            )
    return cases


CASES = vector_cases()


@pytest.mark.parametrize(("event", "prefixes", "expected"), CASES)
def test_reference_vectors(event, prefixes, expected):
    try:
        got = event_hash(event, prefixes)
    except UnsupportedEvent:
        pytest.skip("sensor data and the like are outside what circularity exports")
    assert got == expected


def test_most_vectors_are_covered():
    covered = 0
    for event, prefixes, _ in (case.values for case in CASES):
        try:
            pre_hash(event, prefixes)
            covered += 1
        except UnsupportedEvent:
            pass
    assert covered == 30  # of 31 events; the other holds sensor data


SHIPMENT = {
    "type": "ObjectEvent",
    "eventID": "urn:uuid:7b5c3f9e-0000-4000-8000-000000000001",
    "eventTime": "2025-01-11T12:00:00.000+08:00",
    "eventTimeZoneOffset": "+08:00",
    "recordTime": "2025-01-11T04:00:00.250Z",
    "epcList": ["https://park.example/b/ABC"],
    "quantityList": [{"epcClass": "https://park.example/b/ABC", "quantity": 10000.0, "uom": "KGM"}],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "https://id.gs1.org/414/9520000000011"},
    "sourceList": [
        {"type": "owning_party", "source": "https://park.example/epcis/parties/1"},
    ],
    "destinationList": [
        {"type": "possessing_party", "destination": "https://park.example/epcis/carriers/Lu"},
        {"type": "owning_party", "destination": "https://park.example/epcis/parties/2"},
    ],
    "circ:distanceKm": 12.50,
}
PREFIXES = {"circ": "https://circularity.dev/epcis/"}


def test_a_shipment_written_out_by_hand():
    # Ordered fields first (time in UTC, 10000.0 as 10000, bare CBV words as URIs), then the
    # rest sorted: destinationList < sourceList < {namespace}extension; a list's elements in
    # order of their type, each "type=" before its identifier. eventID and recordTime are out.
    expected = (
        "eventType=ObjectEvent"
        "eventTime=2025-01-11T04:00:00.000Z"
        "eventTimeZoneOffset=+08:00"
        "epcListepc=https://park.example/b/ABC"
        "quantityListquantityElementepcClass=https://park.example/b/ABCquantity=10000uom=KGM"
        "action=OBSERVE"
        "bizStep=https://ref.gs1.org/cbv/BizStep-shipping"
        "disposition=https://ref.gs1.org/cbv/Disp-in_transit"
        "readPointid=https://id.gs1.org/414/9520000000011"
        "destinationList"
        "type=https://ref.gs1.org/cbv/SDT-owning_party"
        "destination=https://park.example/epcis/parties/2"
        "type=https://ref.gs1.org/cbv/SDT-possessing_party"
        "destination=https://park.example/epcis/carriers/Lu"
        "sourceList"
        "type=https://ref.gs1.org/cbv/SDT-owning_party"
        "source=https://park.example/epcis/parties/1"
        "{https://circularity.dev/epcis/}distanceKm=12.5"
    )
    assert pre_hash(SHIPMENT, PREFIXES) == expected
    digest = hashlib.sha256(expected.encode()).hexdigest()
    assert event_hash(SHIPMENT, PREFIXES) == f"ni:///sha-256;{digest}?ver=CBV2.0"


def test_an_error_declaration_hashes_like_the_event_it_declares_wrong():
    declared = {
        **SHIPMENT,
        "errorDeclaration": {"declarationTime": "2025-01-12T00:00:00Z", "reason": "incorrect_data"},
        "recordTime": "2025-01-12T00:00:01Z",
    }
    assert event_hash(declared, PREFIXES) == event_hash(SHIPMENT, PREFIXES)


@given(st.permutations(list(SHIPMENT)), st.sampled_from(["+08:00", "+00:00", "-05:30"]))
def test_key_order_and_time_zone_do_not_change_the_hash(order, zone):
    from datetime import datetime, timedelta, timezone

    hours, minutes = int(zone[:3]), int(zone[0] + zone[4:])
    moment = datetime.fromisoformat(SHIPMENT["eventTime"]).astimezone(
        timezone(timedelta(hours=hours, minutes=minutes))
    )
    event = {key: SHIPMENT[key] for key in order}
    event["eventTime"] = moment.isoformat(timespec="milliseconds")
    assert event_hash(event, PREFIXES) == event_hash(SHIPMENT, PREFIXES)


@pytest.mark.parametrize(
    "change",
    [
        {"disposition": "active"},
        {"quantityList": [{**SHIPMENT["quantityList"][0], "quantity": 10000.001}]},
        {"circ:distanceKm": 12.6},
        {"readPoint": {"id": "https://id.gs1.org/414/9520000000028"}},
    ],
)
def test_any_change_of_content_changes_the_hash(change):
    assert event_hash({**SHIPMENT, **change}, PREFIXES) != event_hash(SHIPMENT, PREFIXES)


@pytest.mark.parametrize(
    ("key", "digit"),
    # GTIN-13 6291041500213 (the example of GS1's check digit calculator), EAN 4006381333931,
    # and the GLNs 4012345000009 and 0614141000005 of the vectors' party URNs.
    [("629104150021", "3"), ("400638133393", "1"), ("401234500000", "9"), ("061414100000", "5")],
)
def test_check_digit(key, digit):
    assert check_digit(key) == digit
