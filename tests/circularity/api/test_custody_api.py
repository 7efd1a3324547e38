"""The custody operations through the API record what the pages record, under the same rules:
a batch registered with a token is the batch its page shows, another company's batch does not
exist for the token, and a read token records nothing."""

from sqlmodel import func, select

from circularity.models import Batch, Event
from circularity.services.custody import reads
from tests.helpers import company_id, person, register, ship

BATCHES = "/api/v1/batches"
TEN_TONNES = {"material": "17 04 05", "quantity": 10, "unit": "t", "basis": "weighed"}


def events(session) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(Event)).one()


def test_a_batch_registered_through_the_api_is_the_one_its_page_shows(api, db_session):
    made = api("alice").post(BATCHES, {**TEN_TONNES, "description": "rebar offcuts"})
    assert made.status_code == 201, made.get_json()
    answer = made.get_json()
    code = answer["batch"]
    assert answer["batches"] == [code]
    assert answer["event"]["operation"] == "register" and answer["event"]["seq"] == 1
    page = reads.batch_page(db_session, person(db_session, "alice"), code)
    assert page.batch.mass_g == 10_000_000  # 10 t, in grams
    assert page.batch.material_code == "170405" and page.batch.description == "rebar offcuts"
    assert page.holder == "Steelworks"
    assert [line.event.event_id for line in page.history] == [answer["event"]["event_id"]]
    shown = api("anna", "read").get(f"{BATCHES}/{code.lower()}")  # a colleague, typed sloppily
    assert shown.status_code == 200
    body = shown.get_json()
    assert body["mass_g"] == 10_000_000 and body["holder"]["name"] == "Steelworks"
    assert body["url"] == f"https://circularity.park.test/b/{code}"
    assert [h["operation"] for h in body["history"]] == ["register"]
    assert body["actions"] == ["ship", "split", "merge", "close", "correct"]


def test_another_companys_batch_does_not_exist_for_a_token(api, db_session):
    code = register(db_session, "alice")
    bob = api("bob")
    refused = bob.get(f"{BATCHES}/{code}")
    assert refused.status_code == 404
    assert refused.content_type == "application/problem+json"
    assert refused.get_json()["field"] == "code"
    assert bob.post(f"{BATCHES}/{code}/close", {"operation": "R4"}).status_code == 404
    assert bob.get(BATCHES).get_json()["total"] == 0
    assert api("mia", "read").get(f"{BATCHES}/{code}").status_code == 200  # management sees all


def test_a_read_token_records_nothing(api, db_session):
    refused = api("alice", "read").post(BATCHES, TEN_TONNES)
    assert refused.status_code == 403
    assert 'error="insufficient_scope", scope="record"' in refused.headers["WWW-Authenticate"]
    assert events(db_session) == 0


def test_roles_the_pages_refuse_are_refused(api, db_session):
    refused = api("mia").post(BATCHES, TEN_TONNES)  # management records no batches
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == "Only staff of a company can record batches."
    assert events(db_session) == 0


def test_an_irreversible_operation_shows_what_it_would_record_until_confirmed(api, db_session):
    code = register(db_session, "alice")
    alice = api("alice")
    shipment = {
        "destination": company_id(db_session, "Recycler"),
        "carrier": "Huayun",
        "vehicle": "苏E·12345",
        "distance_km": 12.5,
    }
    asked = alice.post(f"{BATCHES}/{code}/ship", shipment)
    assert asked.status_code == 409
    problem = asked.get_json()
    assert problem["type"] == "urn:circularity:problem:confirmation-needed"
    assert problem["field"] == "confirm"
    assert problem["preview"]["event"]["bizStep"] == "shipping"
    assert problem["preview"]["event"]["circ:distanceKm"] == 12.5
    assert problem["preview"]["ledger"] == [{"batch": code, "role": "object", "mass_delta_g": 0}]
    assert events(db_session) == 1  # the registration alone
    shipped = alice.post(f"{BATCHES}/{code}/ship", {**shipment, "confirm": True, "version": 1})
    assert shipped.status_code == 201
    batch = api("bob", "read").get(f"{BATCHES}/{code}").get_json()
    assert batch["status"] == "in_transit" and batch["destination"]["name"] == "Recycler"
    assert batch["actions"] == ["receive"]  # what Bob may do, with a token that records


def test_a_chain_of_custody_through_the_api(api, db_session):
    """Steelworks registers 10 t, splits off 4 t and ships it; the recycler weighs 3.9 t and
    closes it by recycling (R4) into 3.5 t of secondary steel: 0.4 t consumed."""
    alice, bob = api("alice"), api("bob")
    code = alice.post(BATCHES, TEN_TONNES).get_json()["batch"]
    parts = {"parts": [{"quantity": 4000, "unit": "kg"}], "confirm": True}
    split = alice.post(f"{BATCHES}/{code}/split", parts).get_json()
    assert split["batch"] == code and len(split["batches"]) == 2
    part = split["batches"][1]
    recycler = company_id(db_session, "Recycler")
    shipment = {"destination": recycler, "carrier": "c", "vehicle": "v", "distance_km": "8"}
    assert alice.post(f"{BATCHES}/{part}/ship", {**shipment, "confirm": True}).status_code == 201
    short = bob.post(f"{BATCHES}/{part}/receive", {"quantity": 3.9, "unit": "t"})
    assert short.status_code == 422 and short.get_json()["field"] == "reason"
    received = bob.post(
        f"{BATCHES}/{part}/receive", {"quantity": 3.9, "unit": "t", "reason": "dripped"}
    )
    assert received.status_code == 201
    closing = {
        "operation": "R4",
        "outputs": [{"material": "191202", "quantity": 3.5, "unit": "t", "basis": "weighed"}],
        "confirm": True,
    }
    closed = bob.post(f"{BATCHES}/{part}/close", closing).get_json()
    assert closed["event"]["epcis"]["circ:consumedKg"] == "400"  # 3.9 t weighed - 3.5 t made
    db_session.rollback()
    masses = {b.code: (b.status, b.mass_g) for b in db_session.exec(select(Batch)).all()}
    assert masses[code] == ("held", 6_000_000)
    assert masses[part] == ("closed", 0)
    assert masses[closed["batches"][1]] == ("held", 3_500_000)
    history = bob.get(f"{BATCHES}/{part}").get_json()["history"]
    assert [h["operation"] for h in history] == ["split", "ship", "receive", "close"]
    assert [h["mass_delta_g"] for h in history] == [4_000_000, 0, -100_000, -3_900_000]


def test_merge_and_correct(api, db_session):
    alice = api("alice")
    first, second = register(db_session, "alice", "2"), register(db_session, "alice", "3")
    merged = alice.post(f"{BATCHES}/{first}/merge", {"batches": [second], "confirm": True})
    assert merged.status_code == 201
    new = merged.get_json()["batch"]
    assert new not in (first, second)
    wrong = {"quantity": 5, "unit": "t", "reason": "same", "confirm": True}
    refused = alice.post(f"{BATCHES}/{new}/correct", wrong)
    assert refused.status_code == 409  # a merge's mass is not a weighing to correct
    code = register(db_session, "alice", "5")
    fixed = alice.post(f"{BATCHES}/{code}/correct", {**wrong, "quantity": 5.2, "reason": "scale"})
    assert fixed.status_code == 201
    assert alice.get(f"{BATCHES}/{code}").get_json()["mass_g"] == 5_200_000


def test_a_stale_version_is_refused_naming_it(api, db_session):
    code = register(db_session, "alice")
    ship(db_session, code)
    refused = api("bob").post(
        f"{BATCHES}/{code}/receive", {"quantity": 10, "unit": "t", "version": 1}
    )
    assert refused.status_code == 409
    assert refused.get_json()["field"] == "version"
    assert refused.get_json()["label"] == "Batch version"


def test_the_list_filters_and_pages(api, db_session):
    for _ in range(3):
        register(db_session, "alice", material="170405")
    register(db_session, "alice", material="191202")
    alice = api("alice", "read")
    steel = alice.get(f"{BATCHES}?material=17 04 05").get_json()
    assert steel["total"] == 3 and {b["material"]["code"] for b in steel["items"]} == {"170405"}
    assert steel["next"] is None and steel["per_page"] == 50
    assert alice.get(f"{BATCHES}?status=closed").get_json()["total"] == 0
    assert alice.get(f"{BATCHES}?page=2").get_json()["items"] == []
    refused = alice.get(f"{BATCHES}?status=lost")
    assert refused.status_code == 422 and refused.get_json()["field"] == "status"


def test_fifty_one_batches_make_two_pages(api, db_session):
    alice = person(db_session, "alice")
    from circularity.services import custody
    from tests.helpers import new_id

    for _ in range(51):
        custody.register(
            db_session, alice, material="170405", quantity_value="1", unit="t",
            basis="weighed", client_event_id=new_id(),
        )  # fmt: skip
    reader = api("alice", "read")
    first = reader.get(f"{BATCHES}?material=170405").get_json()
    assert (len(first["items"]), first["total"]) == (50, 51)
    assert first["next"] == "/api/v1/batches?material=170405&page=2"
    second = reader.get(first["next"]).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert second["items"][0]["code"] not in {b["code"] for b in first["items"]}
