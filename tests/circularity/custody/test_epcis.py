"""Recorded events are EPCIS 2.0: the export validates against GS1's JSON schema."""

import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from circularity.cli import cli
from circularity.services import custody
from tests.helpers import close, new_id, person, receive, register, ship

SCHEMA = (
    Path(__file__).resolve().parents[4] / "shared" / "data" / "epcis" / "EPCIS-JSON-Schema.json"
)


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs with ../shared beside the clone; the EPCIS schema is missing")
        pytest.skip("the EPCIS schema in ../shared/data/epcis is not beside this clone")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def every_operation(session) -> None:
    code = register(session, quantity="10", unit="t")
    ship(session, code)
    receive(session, code, quantity="9.5", reason="wet")
    part = custody.split(
        session, person(session, "bob"), code, parts=[("1", "t")], client_event_id=new_id()
    ).batch_codes[1]
    other = register(session, who="bob", quantity="2")
    custody.merge(session, person(session, "bob"), [part, other], client_event_id=new_id())
    close(session, code, outputs=[("191202", "8", "t", "weighed")])
    last = register(session, who="bob", quantity="1")
    close(session, last, operation="D1")


def test_export_is_valid_epcis(app, db_session, validator, tmp_path):
    every_operation(db_session)
    out = tmp_path / "events.json"
    result = CliRunner().invoke(
        cli, ["epcis", "-o", str(out)], env={"DATABASE_URL": app.config["DATABASE_URL"]}
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    events = document["epcisBody"]["eventList"]
    assert [e["type"] for e in events] == [
        "ObjectEvent",
        "ObjectEvent",
        "ObjectEvent",
        "TransformationEvent",
        "ObjectEvent",
        "TransformationEvent",
        "TransformationEvent",
        "ObjectEvent",
        "ObjectEvent",
    ]
    assert [e["bizStep"] for e in events[:3]] == ["commissioning", "shipping", "receiving"]
    assert events[-1]["disposition"] == "disposed"
    assert all(e["eventTime"].endswith("+08:00") for e in events)
    since = CliRunner().invoke(
        cli, ["epcis", "--since", "8"], env={"DATABASE_URL": app.config["DATABASE_URL"]}
    )
    assert len(json.loads(since.output)["epcisBody"]["eventList"]) == 1
