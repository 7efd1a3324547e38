"""Background jobs: long work started by a page, the CLI or the API and run by a worker.

``start`` checks that the person may do the work, stores the job (queued) and hands its id to
the task queue (``circularity.jobs``); a retried request with the same client token finds the
job it started instead of starting another. ``perform``, in the worker, runs the job's kind:
the same service function the page used to call, with a database session of its own, and
stores what it made (done) or why it failed (failed). A failure is kept as the service's
message in words, translated for whoever reads it; an unexpected error is logged with its
traceback for the administrator and shown to the person as a sentence, never as the trace.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from circularity import jobs as queue
from circularity.db import get_engine, get_session, write_transaction
from circularity.display import display_name
from circularity.models import Job, User
from circularity.roles import can
from circularity.services import idempotency
from circularity.services.errors import NotFound, ServiceError
from circularity.times import utcnow

#: A job's progress callback: percent done, 0-100. Call it outside a write transaction: it
#: writes the job's row in a transaction of its own.
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Kind:
    """What a kind of job checks before it is queued and what it runs in the worker.

    ``check(user)`` raises Forbidden as the page would; ``run(session, user, job, progress)``
    does the work and returns what it made, as (result kind, row id).
    """

    title: str
    check: Callable[[User], None]
    run: Callable[[Session, User, Job, Progress], tuple[str, int]]


def _check_matching(user: User) -> None:
    from circularity.services.market import matching

    matching.require_coordinator(user)


def _run_matching(session: Session, user: User, job: Job, progress: Progress) -> tuple[str, int]:
    from circularity.services.market import matching

    return "run", matching.run(session, user, job.client_token, progress=progress).id


KINDS: dict[str, Kind] = {
    "matching": Kind(_l("Matching run"), _check_matching, _run_matching),
}


def start(session: Session, user: User, kind: str, client_token: str) -> Job:
    """Queue a job of ``kind`` for ``user``, once per client token; returns the job.

    Raises InvalidInput for a bad token, Forbidden when the person may not do the work, and
    Conflict when the token started another person's or another kind of job.
    """
    idempotency.check(client_token, "client_token")
    KINDS[kind].check(user)
    with write_transaction(session):
        idempotency.hold(session, client_token)
        job = session.exec(select(Job).where(Job.client_token == client_token)).first()
        if job is not None:
            idempotency.require_same("client_token", user, job.user_id, kind, job.kind)
            return job
        job = Job(client_token=client_token, kind=kind, user_id=user.id)
        session.add(job)
        session.flush()
    try:
        queue.enqueue(job.id)
    except Exception:
        current_app.logger.exception("Job %s could not be queued", job.id)
        _finish(
            session,
            job.id,
            error=ServiceError("The job queue cannot be reached; try again in a few minutes."),
        )
    session.refresh(job)
    return job


def perform(job_id: int) -> None:
    """Run job ``job_id`` in the worker (inside an app context) and store how it ended.

    A job already done or failed is left as it is: a queue may deliver a task twice.
    """
    session = get_session()
    with write_transaction(session):
        job = session.get(Job, job_id)
        if job is None or job.status in ("done", "failed"):
            return
        job.status, job.started_at, job.progress = "running", utcnow(), 0
        session.add(job)
    user = session.get(User, job.user_id)
    try:
        result_kind, result_id = KINDS[job.kind].run(session, user, job, _progress(job_id))
    except ServiceError as error:
        session.rollback()
        _finish(session, job_id, error=error)
    except Exception:
        session.rollback()
        current_app.logger.exception("Job %s (%s) failed", job_id, job.kind)
        unexpected = ServiceError(
            "The job stopped on an unexpected error. Nothing of it was saved; the park's "
            "administrator can read why in the server's log."
        )
        _finish(session, job_id, error=unexpected)
    else:
        _finish(session, job_id, result=(result_kind, result_id))


def _progress(job_id: int) -> Progress:
    def report(percent: int) -> None:
        with Session(get_engine(), expire_on_commit=False) as own, write_transaction(own):
            job = own.get(Job, job_id)
            job.progress = max(0, min(100, int(percent)))
            own.add(job)

    return report


def _finish(
    session: Session,
    job_id: int,
    result: tuple[str, int] | None = None,
    error: ServiceError | None = None,
) -> None:
    with write_transaction(session):
        job = session.get(Job, job_id)
        job.finished_at = utcnow()
        if error is None:
            job.status, job.progress = "done", 100
            job.result_kind, job.result_id = result
        else:
            job.status = "failed"
            job.error_message = error.template[:500]
            job.error_params = json.dumps({k: str(v) for k, v in error.params.items()})
        session.add(job)


def get(session: Session, user: User, job_id: int) -> Job:
    """Job ``job_id`` as the person who started it (or an admin) sees it; raises NotFound for
    another person's job, as for one that does not exist."""
    job = session.get(Job, job_id)
    if job is None or not (job.user_id == user.id or can(user, "admin")):
        raise NotFound("There is no such job.", "job")
    return job


def error_text(job: Job) -> str | None:
    """Why the job failed, in the reader's language; None unless it failed."""
    if job.error_message is None:
        return None
    params = json.loads(job.error_params or "{}")
    return gettext(job.error_message, **params) if params else gettext(job.error_message)


@dataclass
class JobView:
    """What a job's page shows: its title and status in words, and why it failed."""

    job: Job
    title: str
    status: str
    error: str | None
    finished: bool


def view(session: Session, user: User, job_id: int) -> JobView:
    """Job ``job_id`` for its page, as ``get`` finds it."""
    job = get(session, user, job_id)
    return JobView(
        job,
        str(KINDS[job.kind].title),
        display_name(job.status, "job_status"),
        error_text(job),
        job.status in ("done", "failed"),
    )
