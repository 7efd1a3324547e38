"""EPCIS 2.0 REST bindings: discovery, the event query with each standard parameter, pages
with ``Link: rel="next"``, one event by its eventID, refusals as the bindings' exceptions.

The park of every test: Alice's steelworks registers a batch of 10 t (``registering``,
``active``), ships it to the recycler (``shipping``, ``in_transit``) and Bob receives it
(``receiving``, ``active``); a second batch is registered and never moves. So four
events, in this order: register A, ship A, receive A, register B.
"""

from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import MultiDict

from circularity.services import custody
from circularity.services.custody import epcis, epcis_query
from tests.helpers import new_id, person, receive, register, ship

QUERY_PARAMETER = "epcisException:QueryParameterException"


@pytest.fixture
def park(app, db_session):
    first = register(db_session)
    ship(db_session, first)
    receive(db_session, first)
    second = register(db_session, quantity="2")
    with app.app_context():
        events = epcis.export(db_session)["epcisBody"]["eventList"]
    return {"first": first, "second": second, "events": events}


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json(force=True)
    return [e["eventID"] for e in body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]


def test_discovery_names_the_versions(api):
    response = api("mia").client.options("/epcis/events")
    assert response.status_code == 204
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-CBV-Version"] == "2.0.0"
    assert response.headers["GS1-EPCIS-Min"] == "2.0.0"
    assert response.headers["GS1-CBV-Max"] == "2.0.0"
    assert "GET" in response.headers["Allow"]


def test_every_event_in_chain_order(api, park):
    assert ids(api("mia").get("/epcis/events")) == [e["eventID"] for e in park["events"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("eventType=ObjectEvent", [0, 1, 2, 3]),
        ("eventType=TransformationEvent", []),
        ("EQ_bizStep=shipping", [1]),
        ("EQ_bizStep=https://ref.gs1.org/cbv/BizStep-receiving", [2]),
        ("EQ_bizStep=shipping,receiving", [1, 2]),
        ("EQ_disposition=in_transit", [1]),
        ("EQ_disposition=urn:epcglobal:cbv:disp:active", [0, 2, 3]),
    ],
)
def test_each_parameter_selects_the_events_it_names(api, park, query, expected):
    wanted = [park["events"][i]["eventID"] for i in expected]
    assert ids(api("mia").get(f"/epcis/events?{query}")) == wanted


def test_locations_epcs_times_and_ids(api, park):
    events, client = park["events"], api("mia")
    steelworks = events[0]["readPoint"]["id"]
    recycler = events[2]["readPoint"]["id"]
    assert ids(client.get("/epcis/events", query_string={"EQ_readPoint": recycler})) == [
        events[2]["eventID"]
    ]
    # the shipment has no bizLocation: the batch is in transit
    assert ids(client.get("/epcis/events", query_string={"EQ_bizLocation": steelworks})) == [
        events[0]["eventID"],
        events[3]["eventID"],
    ]
    first_epc = events[0]["epcList"][0]
    assert ids(client.get("/epcis/events", query_string={"MATCH_epc": first_epc})) == [
        e["eventID"] for e in events[:3]
    ]
    assert ids(client.get("/epcis/events", query_string={"MATCH_epc": "urn:nothing:*"})) == []
    wanted = events[1]["eventID"]
    assert ids(client.get("/epcis/events", query_string={"EQ_eventID": wanted})) == [wanted]
    after = events[2]["eventTime"]
    assert ids(client.get("/epcis/events", query_string={"GE_eventTime": after})) == [
        e["eventID"] for e in events if e["eventTime"] >= after
    ]
    assert (
        ids(client.get("/epcis/events", query_string={"LT_eventTime": "2000-01-01T00:00Z"})) == []
    )
    assert ids(client.get("/epcis/events?EXISTS_errorDeclaration")) == []


def test_pages_follow_link_next(api, park):
    client = api("mia")
    first = client.get("/epcis/events?perPage=3")
    assert ids(first) == [e["eventID"] for e in park["events"][:3]]
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"')
    following = link[1 : link.index(">")].removeprefix("http://localhost")
    second = client.get(following)
    assert ids(second) == [park["events"][3]["eventID"]]
    assert "Link" not in second.headers


def test_one_event_and_an_unknown_one(api, park):
    client = api("mia")
    wanted = park["events"][2]
    response = client.get(f"/epcis/events/{wanted['eventID']}")
    # The bindings answer one event as an EPCISQueryDocument that encloses it.
    assert ids(response) == [wanted["eventID"]]
    body = response.get_json(force=True)
    assert body["type"] == "EPCISQueryDocument"
    assert body["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == [wanted]
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-Extensions"].startswith("circ=")
    missing = client.get("/epcis/events/urn:uuid:00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.get_json(force=True)["type"] == "epcisException:NoSuchResourceException"


def test_discovery_of_one_event_needs_a_token_and_the_event(api, app, park):
    mia = api("mia")
    wanted = park["events"][0]["eventID"]
    found = mia.client.options(f"/epcis/events/{wanted}", headers=mia.headers())
    assert found.status_code == 204 and "GET" in found.headers["Allow"]
    unknown = "/epcis/events/urn:uuid:00000000-0000-4000-8000-000000000000"
    assert mia.client.options(unknown, headers=mia.headers()).status_code == 404
    assert app.test_client().options(f"/epcis/events/{wanted}").status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        "perPage=0",
        "perPage=1001",
        "nextPageToken=%%%",
        "GE_eventTime=yesterday",
        "colour=red",
        "eventType=Thing",
    ],
)
def test_unreadable_parameters_are_query_parameter_exceptions(api, park, query):
    response = api("mia").get(f"/epcis/events?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == QUERY_PARAMETER


def test_the_whole_log_is_for_those_who_check_the_chain(api, park):
    assert api("alice").get("/epcis/events").status_code == 403
    assert api("mia").client.get("/epcis/events").status_code == 401


@pytest.fixture
def corrected(app, db_session, park):
    """The park, then Bob corrects the receipt of A to 9.5 t: a fifth event (the
    correction) and, after it, the receipt again with its errorDeclaration."""
    custody.correct(
        db_session,
        person(db_session, "bob"),
        park["first"],
        quantity_value="9.5",
        unit="t",
        reason="weighbridge reading differs",
        client_event_id=new_id(),
    )
    with app.app_context():
        park["events"] = epcis.export(db_session)["epcisBody"]["eventList"]
    return park


def every_page(client, query: str, per_page: int) -> list[str]:
    found, url = [], f"/epcis/events?perPage={per_page}&{query}"
    while url:
        response = client.get(url)
        found += ids(response)
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].removeprefix("http://localhost") if link else None
    return found


@pytest.mark.parametrize(
    "query",
    [
        "",
        "eventType=ObjectEvent",
        "EQ_bizStep=receiving",
        "EXISTS_errorDeclaration",
        "GE_recordTime=2000-01-01T00:00Z",
        "LT_eventTime=2000-01-01T00:00Z",
        "GE_eventTime=2999-01-01T00:00%2B08:00",
    ],
)
@pytest.mark.parametrize("per_page", [1, 2, 30])
def test_pages_hold_what_filtering_the_export_holds(api, corrected, query, per_page):
    # The export's document filtered by the same tests is the definition the pages follow:
    # read a chunk at a time and coarsely filtered in the database, they hold the same
    # events in the same order, each once, the declaration after its correction.
    tests = epcis_query.filters(MultiDict(parse_qsl(query, keep_blank_values=True)))
    expected = [e["eventID"] for e in corrected["events"] if all(t(e) for t in tests)]
    assert every_page(api("mia"), query, per_page) == expected


def test_a_corrected_event_and_its_declaration(api, corrected):
    client, receipt = api("mia"), corrected["events"][2]["eventID"]
    assert ids(client.get(f"/epcis/events?EQ_eventID={receipt}")) == [receipt, receipt]
    declared = client.get("/epcis/events?EXISTS_errorDeclaration").get_json(force=True)
    (only,) = declared["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert only["eventID"] == receipt and only["errorDeclaration"]["reason"] == "incorrect_data"
    one = client.get(f"/epcis/events/{receipt}").get_json(force=True)
    assert one["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == [only]


def test_a_page_reads_the_log_only_as_far_as_it_needs(api, corrected, monkeypatch):
    mapped, items = [], epcis.items

    def counted(row, park):
        mapped.append(row.seq)
        return items(row, park)

    monkeypatch.setattr(epcis_query, "CHUNK", 2)
    monkeypatch.setattr(epcis, "items", counted)
    first = api("mia").get("/epcis/events?perPage=1")
    assert len(ids(first)) == 1 and "Link" in first.headers
    # one event for the page and one to know a next page exists: two of the five rows
    assert mapped == [1, 2]
