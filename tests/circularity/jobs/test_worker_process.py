"""A real `circularity worker` process runs a queued matching run: on the default SQLite queue
and on Redis (TEST_REDIS_URL; CI starts one, the test is skipped only without it).

The market: Steelworks offers 10 t of steel scrap a month and Recycler takes 8 t, so the run
has one proposal of 8 t.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from circularity import create_app
from circularity.db import get_engine
from circularity.models import Job, MatchRun, Proposal
from circularity.services import jobs
from tests.helpers import demand, new_id, offer, person

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
CIRCULARITY = str(Path(sys.executable).with_name("circularity"))


QUEUES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "redis",
        id="redis",
        marks=pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set"),
    ),
]


@pytest.fixture
def worker(database_url, tmp_path, request):
    """Start `circularity worker` on this test's database and queue; yields the settings an
    app must share with it. The queue gets a name of its own, so a Redis others use is safe."""
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}" if request.param == "sqlite" else REDIS_URL
    settings = {
        "DATABASE_URL": database_url,
        "JOBS_URL": url,
        "JOBS_QUEUE": f"circularity-test-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": "test secret",
    }
    process = subprocess.Popen(
        [CIRCULARITY, "worker", "--threads", "1"],
        env=os.environ | settings,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield settings
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        assert process.returncode == 0, output


@pytest.mark.parametrize("worker", QUEUES, indirect=True)
def test_a_worker_process_runs_a_queued_matching_run(worker):
    app = create_app({"TESTING": True, **worker})
    try:
        with app.app_context():
            from circularity.db import get_session

            session = get_session()
            offer(session, who="alice", tonnes="10")
            demand(session, who="bob", tonnes="8")
            job = jobs.start(session, person(session, "cora"), "matching", new_id())
            assert job.status == "queued"
            deadline = time.monotonic() + 60
            while job.status in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.2)
                session.rollback()
                session.expire_all()
                job = session.get(Job, job.id)
            assert (job.status, job.progress, job.result_kind) == ("done", 100, "run")
            run = session.get(MatchRun, job.result_id)
            proposals = session.exec(select(Proposal).where(Proposal.run_id == run.id)).all()
            assert [p.mass_g for p in proposals] == [8_000_000]
    finally:
        get_engine(app).dispose()
