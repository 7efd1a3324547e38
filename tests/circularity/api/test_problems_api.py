"""Every refusal under /api is RFC 7807 problem JSON naming the field, never a page."""

import pytest

from circularity.services.custody import reads
from tests.helpers import register

BATCHES = "/api/v1/batches"
PROBLEM = "application/problem+json"


def test_a_value_the_service_refuses_is_named_in_words(api, db_session):
    code = register(db_session, "alice")
    far = {"destination": 2, "carrier": "c", "vehicle": "v", "distance_km": 6000}
    refused = api("alice").post(f"{BATCHES}/{code}/ship", far)
    assert refused.status_code == 422 and refused.content_type == PROBLEM
    problem = refused.get_json()
    assert problem == {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "A road distance inside the region is under 5000 km.",
        "instance": f"{BATCHES}/{code}/ship",
        "field": "distance_km",
        "label": "Road distance (km)",
    }


def test_values_the_schema_refuses_are_each_named(api):
    refused = api("alice").post(
        BATCHES, {"material": "170405", "quantity": 1, "unit": "lb", "basis": "guessed", "x": 1}
    )
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["type"] == "urn:circularity:problem:invalid-request"
    named = {e["field"]: (e["label"], e["detail"]) for e in problem["errors"]}
    assert named["unit"][0] == "Unit" and named["basis"][0] == "Weighed or estimated"
    assert named["x"][1] == "This field is not part of the request."
    assert problem["field"] == problem["errors"][0]["field"]


def test_a_part_of_a_list_is_named_by_its_place(api, db_session):
    code = register(db_session, "alice")
    split = {"parts": [{"quantity": 1, "unit": "t"}, {"quantity": 2}], "confirm": True}
    refused = api("alice").post(f"{BATCHES}/{code}/split", split)
    assert refused.status_code == 422
    assert refused.get_json()["field"] == "parts[1].unit"
    too_much = {"parts": [{"quantity": 6, "unit": "t"}, {"quantity": 5, "unit": "t"}]}
    refused = api("alice").post(f"{BATCHES}/{code}/split", too_much)
    assert refused.get_json()["field"] == "parts" and refused.get_json()["label"] == "Parts"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("material=170405", "application/x-www-form-urlencoded", 415),
        ("<batch/>", "application/xml", 415),
        ('{"material": ', "application/json", 400),
    ],
)
def test_a_body_that_is_not_json_is_refused(api, body, content_type, status):
    alice = api("alice")
    refused = alice.client.post(
        BATCHES,
        data=body,
        headers=alice.headers({"Idempotency-Key": "k" * 16, "Content-Type": content_type}),
    )
    assert refused.status_code == status and refused.content_type == PROBLEM


def test_unknown_addresses_and_methods_answer_json(api):
    alice = api("alice", "read")
    missing = alice.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.content_type == PROBLEM
    wrong = alice.client.delete(BATCHES, headers=alice.headers())
    assert wrong.status_code == 405 and wrong.content_type == PROBLEM
    assert "POST" in wrong.headers["Allow"]


def test_a_body_too_large_is_refused_as_a_problem(api):
    alice = api("alice")
    refused = alice.post(BATCHES, {"description": "x" * (2 * 1024 * 1024)})
    assert refused.status_code == 413 and refused.content_type == PROBLEM


def test_a_failure_on_our_side_is_still_a_problem_not_a_page(api, db_session, monkeypatch):
    code = register(db_session, "alice")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(reads, "batch_page", broken)
    failed = api("alice", "read").get(f"{BATCHES}/{code}")
    assert failed.status_code == 500 and failed.content_type == PROBLEM
    assert "a bug" not in failed.get_data(as_text=True)


def test_the_rate_limit_counts_per_token(app, api):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    alice, bob = api("alice", "read"), api("bob", "read")
    assert [alice.get(BATCHES).status_code for _ in range(3)] == [200] * 3
    refused = alice.get(BATCHES)
    assert refused.status_code == 429 and refused.content_type == PROBLEM
    assert bob.get(BATCHES).status_code == 200
