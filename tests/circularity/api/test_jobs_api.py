"""A matching run through the API is a job: 202 with its address, which answers its status,
progress and result; a retry with the same key is the same job; a failure is a sentence.

The market: Steelworks offers 10 t of steel scrap a month and Recycler takes 8 t.
"""

import uuid

from sqlmodel import func, select

from circularity.models import Job, MatchRun
from circularity.services import jobs
from tests.helpers import demand, offer, person


def count(session, model) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_retried_run_request_answers_the_same_job(api, db_session):
    offer(db_session, who="alice", tonnes="10")
    demand(db_session, who="bob", tonnes="8")
    cora, key = api("cora"), uuid.uuid4().hex
    first = cora.post("/api/v1/runs", key=key)
    again = cora.post("/api/v1/runs", key=key)
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (count(db_session, Job), count(db_session, MatchRun)) == (1, 1)
    address = first.get_json()["url"]
    assert api("ada", "read").get(address).status_code == 200  # an admin sees every job
    hidden = api("mia", "read").get(address)
    assert hidden.status_code == 404 and hidden.get_json()["field"] == "job"


def test_a_failed_job_answers_why_in_the_language_of_the_request(app, api, db_session, tmp_path):
    """Cora became management between queueing the run and a worker taking it."""
    app.config["JOBS_URL"] = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    app.extensions["circularity.jobs"] = None
    cora = api("cora")
    job = cora.post("/api/v1/runs").get_json()
    assert (job["status"], job["result"], job["started_at"]) == ("queued", None, None)
    user = person(db_session, "cora")
    user.role = "management"
    db_session.add(user)
    db_session.commit()
    with app.app_context():
        jobs.perform(job["id"])
    shown = cora.get(job["url"], headers={"Accept-Language": "zh-CN"}).get_json()
    assert (shown["status"], shown["result"]) == ("failed", None)
    assert shown["error"] == "只有园区协调员才能运行匹配并对建议作出决定。"
