"""Writes with an Idempotency-Key (IETF httpapi-idempotency-key-header): a retry gets the
stored answer, the same key with another body is refused with 422, copies sent together make
one write and all get its answer; a refused write leaves the key free."""

import threading
import uuid

from sqlmodel import func, select

from circularity.models import ApiRequest, Batch, Event
from tests.helpers import register

BATCHES = "/api/v1/batches"
TEN_TONNES = {"material": "170405", "quantity": 10, "unit": "t", "basis": "weighed"}


def count(session, model) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_retry_gets_the_stored_answer_and_records_nothing_new(api, db_session):
    alice, key = api("alice"), uuid.uuid4().hex
    first = alice.post(BATCHES, TEN_TONNES, key=key)
    again = alice.post(BATCHES, TEN_TONNES, key=key)
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(db_session, Batch) == count(db_session, Event) == 1
    # the key is the event's client event id: the write itself happens once whatever happens
    # to the answer
    assert db_session.exec(select(Event.client_event_id)).one() == key


def test_the_same_key_with_another_body_is_refused(api, db_session):
    alice, key = api("alice"), uuid.uuid4().hex
    assert alice.post(BATCHES, TEN_TONNES, key=key).status_code == 201
    refused = alice.post(BATCHES, {**TEN_TONNES, "quantity": 12}, key=key)
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["type"] == "urn:circularity:problem:idempotency-key-reused"
    assert problem["field"] == "Idempotency-Key"
    assert problem["label"] == "Idempotency-Key header"
    code = db_session.exec(select(Batch.code)).one()
    other = alice.post(f"{BATCHES}/{code}/close", {"operation": "R4", "confirm": True}, key=key)
    assert other.status_code == 422  # another operation under the same key
    assert count(db_session, Batch) == 1
    assert db_session.exec(select(Batch.status)).one() == "held"


def test_another_persons_key_is_refused(api, db_session):
    key = uuid.uuid4().hex
    assert api("alice").post(BATCHES, TEN_TONNES, key=key).status_code == 201
    refused = api("anna").post(BATCHES, TEN_TONNES, key=key)
    assert refused.status_code == 422
    assert count(db_session, Batch) == 1


def test_a_key_used_by_a_form_is_refused(api, db_session):
    """The forms' client event ids and the API's keys are one namespace: the event's."""
    register(db_session, "alice")
    used = db_session.exec(select(Event.client_event_id)).one()
    refused = api("alice").post(BATCHES, TEN_TONNES, key=used)
    assert refused.status_code == 422
    assert refused.get_json()["field"] == "Idempotency-Key"
    assert count(db_session, Batch) == 1


def test_a_refused_write_leaves_its_key_free(api, db_session):
    alice, key = api("alice"), uuid.uuid4().hex
    wrong = alice.post(BATCHES, {**TEN_TONNES, "material": "999999"}, key=key)
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "material"
    assert count(db_session, ApiRequest) == 0
    assert alice.post(BATCHES, TEN_TONNES, key=key).status_code == 201


def test_a_write_without_a_good_key_is_a_bad_request(api, db_session):
    alice = api("alice")
    for headers in ({"Idempotency-Key": ""}, {"Idempotency-Key": "short"}):
        refused = alice.client.post(BATCHES, json=TEN_TONNES, headers=alice.headers(headers))
        assert refused.status_code == 400, headers
        assert refused.get_json()["field"] == "Idempotency-Key"
    missing = alice.client.post(BATCHES, json=TEN_TONNES, headers=alice.headers())
    assert missing.status_code == 400
    assert count(db_session, Batch) == 0


def test_copies_sent_together_make_one_write_and_share_its_answer(app, token, db_session):
    secret, key = token("alice"), uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": key}
    copies = 4
    barrier = threading.Barrier(copies)
    answers: list = [None] * copies

    def send(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        answers[index] = client.post(BATCHES, json=TEN_TONNES, headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201] * copies
    assert len({a.get_data() for a in answers}) == 1
    assert count(db_session, Batch) == count(db_session, Event) == 1
    assert count(db_session, ApiRequest) == 1
