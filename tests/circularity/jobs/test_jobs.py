"""The job record: queued, running, done with its result or failed with the reason in words;
one job per client token; the queue chosen by JOBS_URL.

The market of these tests: Steelworks offers 10 t of steel scrap a month, Recycler takes 8 t,
so the matching run has one proposal of 8 t and leaves 2 t unmatched.
"""

import json

import pytest
from flask_babel import force_locale
from huey import MemoryHuey, RedisHuey, SqliteHuey
from sqlmodel import func, select

from circularity import create_app
from circularity import jobs as queue
from circularity.models import Job, MatchRun, Proposal
from circularity.services import jobs
from circularity.services.errors import Forbidden, InvalidInput
from circularity.services.market import matching
from tests.helpers import demand, new_id, offer, person


def count(session, model) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


def market(session) -> None:
    offer(session, who="alice", tonnes="10")
    demand(session, who="bob", tonnes="8")


def fresh(session, job_id: int) -> Job:
    """The job's row as it is now (the worker writes it from another session)."""
    session.rollback()
    session.expire_all()
    return session.get(Job, job_id)


def test_a_matching_job_runs_the_matching_the_page_ran(app, db_session):
    market(db_session)
    with app.app_context():
        job = jobs.start(db_session, person(db_session, "cora"), "matching", new_id())
    job = fresh(db_session, job.id)
    assert (job.status, job.progress, job.result_kind) == ("done", 100, "run")
    assert job.started_at is not None and job.finished_at >= job.started_at >= job.created_at
    assert job.error_message is None
    run = db_session.get(MatchRun, job.result_id)
    assert run.client_token == job.client_token  # a retried task finds the same run
    (proposal,) = db_session.exec(select(Proposal).where(Proposal.run_id == run.id)).all()
    assert proposal.mass_g == 8_000_000
    assert [e["tonnes"] for e in json.loads(run.explanations)] == [2.0]


def test_queued_until_a_worker_takes_it_then_running_with_progress(
    app, db_session, tmp_path, monkeypatch
):
    """With a real queue and no worker the job waits; the worker's run marks it running and
    the service's progress reaches the row while it works."""
    market(db_session)
    app.config["JOBS_URL"] = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    app.extensions["circularity.jobs"] = None
    seen = []
    progress_of = jobs._progress

    def watching(job_id):
        report = progress_of(job_id)

        def watch(percent):
            report(percent)
            with app.app_context():
                row = fresh(db_session, job_id)
                seen.append((row.status, row.progress))

        return watch

    with app.app_context():
        job = jobs.start(db_session, person(db_session, "cora"), "matching", new_id())
        assert queue.get_queue().huey.pending_count() == 1
        assert (fresh(db_session, job.id).status, job.progress) == ("queued", 0)
        monkeypatch.setattr(jobs, "_progress", watching)
        jobs.perform(job.id)
    assert seen == [("running", 20), ("running", 80)]
    assert fresh(db_session, job.id).status == "done"


def test_a_failing_job_keeps_the_reason_in_words_for_each_reader(app, db_session, tmp_path):
    """The coordinator queued a run and became management before a worker took it: the
    worker refuses as the page would, and the job says why, in the reader's language."""
    market(db_session)
    app.config["JOBS_URL"] = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    app.extensions["circularity.jobs"] = None
    cora = person(db_session, "cora")
    with app.app_context():
        job = jobs.start(db_session, cora, "matching", new_id())
    cora.role = "management"
    db_session.add(cora)
    db_session.commit()
    with app.app_context():
        jobs.perform(job.id)
        job = fresh(db_session, job.id)
        assert (job.status, job.result_id, count(db_session, MatchRun)) == ("failed", None, 0)
        assert jobs.error_text(job) == (
            "Only the park's coordinator can run matching and decide on proposals."
        )
        with app.test_request_context(), force_locale("de"):
            assert jobs.error_text(job) == (
                "Nur die Koordination des Parks kann Abgleiche ausführen und über Vorschläge "
                "entscheiden."
            )


def test_an_unexpected_error_is_a_sentence_and_the_trace_goes_to_the_log(
    app, db_session, monkeypatch, caplog
):
    market(db_session)

    def broken(instance, source):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(matching, "match_market", broken)
    with app.app_context():
        job = jobs.start(db_session, person(db_session, "cora"), "matching", new_id())
        job = fresh(db_session, job.id)
        assert job.status == "failed"
        text = jobs.error_text(job)
    assert "unexpected error" in text and "Traceback" not in text and "division" not in text
    assert "ZeroDivisionError" in caplog.text
    assert count(db_session, MatchRun) == 0


def test_one_job_per_client_token(app, db_session):
    market(db_session)
    token = new_id()
    cora = person(db_session, "cora")
    with app.app_context():
        first = jobs.start(db_session, cora, "matching", token)
        again = jobs.start(db_session, cora, "matching", token)
        assert again.id == first.id
        assert (count(db_session, Job), count(db_session, MatchRun)) == (1, 1)
        with pytest.raises(Forbidden):
            jobs.start(db_session, person(db_session, "mia"), "matching", new_id())
        with pytest.raises(InvalidInput):
            jobs.start(db_session, cora, "matching", "short")
    assert count(db_session, Job) == 1


def test_only_the_person_who_asked_or_an_admin_sees_a_job(app, db_session):
    market(db_session)
    with app.app_context():
        job = jobs.start(db_session, person(db_session, "cora"), "matching", new_id())
        assert jobs.get(db_session, person(db_session, "ada"), job.id).id == job.id
        with pytest.raises(Exception, match="no such job"):
            jobs.get(db_session, person(db_session, "mia"), job.id)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("immediate", MemoryHuey),
        ("sqlite:///{tmp}/jobs.sqlite", SqliteHuey),
        ("redis://127.0.0.1:6379/0", RedisHuey),
    ],
)
def test_the_queue_is_what_jobs_url_says(url, kind, tmp_path):
    app = create_app({"TESTING": True, "JOBS_URL": url.format(tmp=tmp_path), "SECRET_KEY": "x"})
    assert type(queue.get_queue(app).huey) is kind


def test_the_default_queue_is_a_file_in_the_instance_folder(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.config["JOBS_URL"] == f"sqlite:///{app.instance_path}/jobs.sqlite"


def test_a_queue_url_it_cannot_use_is_refused_when_the_app_is_built():
    with pytest.raises(ValueError, match="JOBS_URL"):
        create_app({"TESTING": True, "JOBS_URL": "amqp://broker", "SECRET_KEY": "x"})


def test_a_worker_refuses_immediate_mode(monkeypatch):
    from click.testing import CliRunner

    from circularity.cli import cli

    monkeypatch.setenv("JOBS_URL", "immediate")
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 2
    assert "nothing for a worker to do" in result.output
