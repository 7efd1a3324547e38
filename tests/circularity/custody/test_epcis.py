"""The EPCIS export: valid against GS1's JSON schema and SHACL shapes, identifiers as the CBV
wants them, and every event's hash equal to the reference implementation's."""

import json
import os
import warnings
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from circularity.cli import cli
from circularity.services import custody
from circularity.services.custody import epcis, locations
from circularity.services.custody.event_hash import event_hash
from tests.helpers import close, company_id, new_id, person, receive, register, ship

GS1_DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "epcis"
SHAPES = Path(__file__).parent / "data" / "epcis" / "EPCIS-SHACL.ttl"
BASE = "https://circularity.park.test"
GLN = "9520000000011"  # check digit: 952000000001 → 1


def gs1_file(name: str) -> Path:
    path = GS1_DATA / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs with ../shared beside the clone; {name} is missing")
        pytest.skip(f"{name} of ../shared/data/epcis is not beside this clone")
    return path


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(gs1_file("EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def every_operation(session) -> dict[str, str]:
    """One of each operation; the steelworks has a GLN, the recycler does not."""
    locations.set_company_gln(session, company_id(session, "Steelworks"), GLN)
    code = register(session, quantity="10", unit="t")
    ship(session, code)
    receive(session, code, quantity="9.5", reason="wet")
    part = custody.split(
        session, person(session, "bob"), code, parts=[("1", "t")], client_event_id=new_id()
    ).batch_codes[1]
    other = register(session, who="bob", quantity="2")
    custody.merge(session, person(session, "bob"), [part, other], client_event_id=new_id())
    close(session, code, outputs=[("191202", "8", "t", "weighed")])
    landfilled = register(session, who="bob", quantity="1")
    close(session, landfilled, operation="D1")
    burnt = register(session, who="bob", quantity="3")
    close(session, burnt, operation="R1")
    wrong = register(session, who="bob", quantity="4")
    custody.correct(
        session,
        person(session, "bob"),
        wrong,
        quantity_value="4.2",
        unit="t",
        reason="weighbridge reading",
        client_event_id=new_id(),
    )
    return {"first": code, "landfilled": landfilled, "burnt": burnt, "wrong": wrong}


@pytest.fixture
def exported(app, db_session):
    codes = every_operation(db_session)
    with app.app_context():
        document = epcis.export(db_session)
    return codes, document


def events_of(document) -> list[dict]:
    return document["epcisBody"]["eventList"]


def test_export_is_valid_against_the_json_schema(exported, validator):
    _, document = exported
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    types = [(e["type"], e["bizStep"]) for e in events_of(document)]
    assert types == [
        ("ObjectEvent", "commissioning"),
        ("ObjectEvent", "shipping"),
        ("ObjectEvent", "receiving"),
        ("TransformationEvent", "repackaging"),
        ("ObjectEvent", "commissioning"),
        ("TransformationEvent", "repackaging"),
        ("TransformationEvent", "commissioning"),
        ("ObjectEvent", "commissioning"),
        ("ObjectEvent", "destroying"),
        ("ObjectEvent", "commissioning"),
        ("ObjectEvent", "destroying"),
        ("ObjectEvent", "commissioning"),
        ("ObjectEvent", "inspecting"),
        ("ObjectEvent", "commissioning"),  # the registration the correction declares wrong
    ]


def test_the_command_writes_the_same_document(app, db_session, tmp_path, validator):
    every_operation(db_session)
    out = tmp_path / "events.json"
    env = {"DATABASE_URL": app.config["DATABASE_URL"]}
    result = CliRunner().invoke(cli, ["epcis", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(document)) == []
    since = CliRunner().invoke(cli, ["epcis", "--since", "12"], env=env)
    # Event 13 is the correction: it comes with the error declaration of event 12.
    later = events_of(json.loads(since.output))
    assert [e["circ:seq"] for e in later] == [13, 12]
    assert "errorDeclaration" in later[1]


def test_record_time_batches_sites_and_parties(exported):
    codes, document = exported
    events = events_of(document)
    registered, shipped, received = events[:3]
    label = f"{BASE}/b/{codes['first']}"
    assert registered["epcList"] == [label]
    assert registered["quantityList"] == [{"epcClass": label, "quantity": 10_000_000, "uom": "GRM"}]
    assert registered["recordTime"].endswith("Z")
    # The steelworks has a GLN: its site is AI 414, the company as a party AI 417.
    assert registered["readPoint"] == {"id": f"https://id.gs1.org/414/{GLN}"}
    assert registered["bizLocation"] == registered["readPoint"]
    assert "bizLocation" not in shipped  # in transit, at no location
    recycler = f"{BASE}/epcis/sites/"
    assert received["readPoint"]["id"].startswith(recycler)
    assert received["bizLocation"] == received["readPoint"]
    carrier = f"{BASE}/epcis/carriers/Huayun"
    steel_party = f"https://id.gs1.org/417/{GLN}"
    recycler_party = received["destinationList"][0]["destination"]
    assert recycler_party.startswith(f"{BASE}/epcis/parties/")
    assert shipped["sourceList"] == [
        {"type": "owning_party", "source": steel_party},
        {"type": "possessing_party", "source": steel_party},
        {"type": "location", "source": f"https://id.gs1.org/414/{GLN}"},
    ]
    assert shipped["destinationList"] == [
        {"type": "owning_party", "destination": recycler_party},
        {"type": "possessing_party", "destination": carrier},
        {"type": "location", "destination": received["readPoint"]["id"]},
    ]
    # The receipt takes the batch over from the carrier.
    assert received["sourceList"][1] == {"type": "possessing_party", "source": carrier}
    assert received["destinationList"][1] == {
        "type": "possessing_party",
        "destination": recycler_party,
    }
    for event in events:
        assert "circ:userID" not in event and "circ:clientEventID" not in event


def test_dispositions_follow_the_cbv(exported):
    codes, document = exported
    ends = {
        e["epcList"][0].rsplit("/", 1)[1]: e
        for e in events_of(document)
        if e.get("action") == "DELETE"
    }
    landfilled, burnt = ends[codes["landfilled"]], ends[codes["burnt"]]
    assert (landfilled["bizStep"], landfilled["disposition"]) == ("destroying", "disposed")
    # Energy recovery is not "inactive", which CBV keeps for what may be reintroduced.
    assert (burnt["bizStep"], burnt["disposition"]) == ("destroying", "destroyed")
    assert "bizLocation" not in burnt


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("R1", ("destroying", "destroyed")),
        ("D10", ("destroying", "destroyed")),
        ("D1", ("destroying", "disposed")),
        ("D9", ("destroying", "disposed")),
        ("R4", ("decommissioning", "inactive")),
        ("R13", ("decommissioning", "inactive")),
    ],
)
def test_disposition_of_a_closing(route, expected):
    assert epcis.disposition(route) == expected


def test_a_correction_is_an_error_declaration(exported):
    codes, document = exported
    events = events_of(document)
    correction, declared = events[-2], events[-1]
    registration = next(
        e for e in events[:-1] if e.get("epcList") == [f"{BASE}/b/{codes['wrong']}"]
    )
    assert declared["eventID"] == registration["eventID"]
    assert declared["errorDeclaration"] == {
        "declarationTime": correction["eventTime"],
        "reason": "incorrect_data",
        "correctiveEventIDs": [correction["eventID"]],
    }
    # Apart from the declaration it is the event it declares wrong.
    assert {k: v for k, v in declared.items() if k != "errorDeclaration"} == registration


def test_every_event_has_its_cbv_hash_in_the_header(exported):
    _, document = exported
    listed = {h["circ:event"]: h["circ:hash"] for h in document["epcisHeader"]["circ:eventHashes"]}
    events = events_of(document)
    assert set(listed) == {e["eventID"] for e in events}
    for event in events:
        assert listed[event["eventID"]] == event_hash(event, epcis.NAMESPACES)
        assert listed[event["eventID"]].startswith("ni:///sha-256;")


def test_hashes_equal_the_reference_implementation(exported):
    generator = pytest.importorskip("epcis_event_hash_generator.hash_generator")
    json_to_py = pytest.importorskip("epcis_event_hash_generator.json_to_py")
    _, document = exported
    # The reference loads the EPCIS context from its own package, with a deprecated call.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        events = json_to_py.event_list_from_epcis_document_str(json.dumps(document))
        reference = generator.epcis_hashes_from_events(events)
    ours = [event_hash(e, epcis.NAMESPACES) for e in events_of(document)]
    assert ours == reference


def gs1_shapes(shapes):
    """GS1's shapes as SHACL reads them. The published file types shapes that have an
    ``sh:path`` as ``sh:NodeShape`` and points to shapes with a path through ``sh:node``, both
    of which SHACL 1.0 forbids (sections 2.1 and 4.7.1) and pyshacl refuses. A shape with a
    path constrains the values of that path, as ``sh:property`` says: so it is typed a property
    shape and pointed to with ``sh:property``. Nothing else changes."""
    from rdflib import RDF
    from rdflib.namespace import SH

    with_path = set(shapes.subjects(SH.path, None))
    retyped = [s for s in shapes.subjects(RDF.type, SH.NodeShape) if s in with_path]
    pointers = [(o, s) for o, s in shapes.subject_objects(SH.node) if s in with_path]
    # The file as published; other numbers mean another file.
    assert (len(retyped), len(pointers)) == (21, 58), (len(retyped), len(pointers))
    for shape in retyped:
        shapes.remove((shape, RDF.type, SH.NodeShape))
        shapes.add((shape, RDF.type, SH.PropertyShape))
    for owner, shape in pointers:
        shapes.remove((owner, SH.node, shape))
        shapes.add((owner, SH.property, shape))
    return shapes


def shacl(document: dict):
    """(conforms, report, triples) of ``document`` against GS1's EPCIS shapes."""
    pyshacl = pytest.importorskip("pyshacl")
    from pyld import jsonld
    from rdflib import Graph

    context = json.loads(gs1_file("epcis-context.jsonld").read_text(encoding="utf-8"))

    def offline(url, options=None):
        # The EPCIS context from ../shared, the one GS1 publishes at that address.
        assert url == epcis.EPCIS_CONTEXT, url
        return {"contextUrl": None, "documentUrl": url, "document": context}

    # pyld applies JSON-LD 1.1's scoped contexts (a source's "type"), which rdflib does not.
    quads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": offline})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's own ConjunctiveGraph
        data = Graph().parse(data=quads, format="nt")
        shapes = gs1_shapes(Graph().parse(SHAPES, format="turtle"))
        conforms, _, report = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    return conforms, report, len(data)


def test_export_conforms_to_the_shacl_shapes(exported):
    _, document = exported
    conforms, report, triples = shacl(document)
    assert conforms, report
    assert triples > 300  # the whole document was read, not an empty graph


@pytest.mark.parametrize(
    ("change", "shape"),
    [
        (lambda e: e.pop("eventTimeZoneOffset"), "EventTimeZoneOffsetShape"),
        (lambda e: e.update(action="LOOK"), "ActionShape"),
        (lambda e: e.pop("eventTime"), "EventTimeShape"),
    ],
)
def test_the_shapes_catch_a_broken_event(exported, validator, change, shape):
    _, document = exported
    change(events_of(document)[0])
    conforms, report, _ = shacl(document)
    assert not conforms and f"epcis:{shape}" in report
    assert list(validator.iter_errors(document))  # and the JSON schema refuses it too


def test_the_header_carries_the_latest_checkpoint(app, db_session):
    from circularity.services.custody import checkpoints

    register(db_session)
    with app.app_context():
        assert "circ:checkpoint" not in epcis.export(db_session)["epcisHeader"]
        signed = checkpoints.create(db_session)
        header = epcis.export(db_session)["epcisHeader"]
    assert header["circ:checkpoint"]["circ:note"] == signed.note
    assert header["circ:checkpoint"]["circ:treeSize"] == 1


def test_management_downloads_the_export(as_person, db_session, validator):
    every_operation(db_session)
    client = as_person("mia")
    assert 'href="/admin/epcis.json"' in client.get("/admin/chain").get_data(as_text=True)
    response = client.get("/admin/epcis.json")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    document = json.loads(response.get_data(as_text=True))
    assert list(validator.iter_errors(document)) == []
    assert len(events_of(document)) == 14
    later = json.loads(client.get("/admin/epcis.json?since=12").get_data(as_text=True))
    assert [e["circ:seq"] for e in events_of(later)] == [13, 12]


@pytest.mark.parametrize("since", ["-1", "x", "1e3", "9" * 40, "١٢"])
def test_a_bad_since_is_refused_naming_it(as_person, since):
    response = as_person("mia").get(f"/admin/epcis.json?since={since}")
    assert response.status_code == 422
    assert "since" in response.get_data(as_text=True).lower()


def test_staff_may_not_download_the_log(as_person):
    assert as_person("alice").get("/admin/epcis.json").status_code == 403
