"""The task queue of long work: Huey, on a SQLite file by default, on Redis in production.

``JOBS_URL`` chooses the storage: the default, a SQLite file in the instance folder, needs no
server (the demo and a small site); ``redis://`` serves workers on several machines;
``immediate`` runs each job inside the request that starts it (the tests, where no worker
runs). The queue carries only a job's id: the job itself is a row of the app's own
(``models.Job``), which ``services.jobs`` creates, runs and shows, so pages and the API read
its progress, its result and its failure from the database whichever storage carries it.

Each app builds its own queue with the one task registered on it; the task runs the job in an
app context of that app, with a database session of its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

#: The task's name in the queue: the web server and the workers must agree on it.
TASK = "circularity.run_job"
IMMEDIATE = "immediate"


@dataclass(frozen=True)
class Queue:
    huey: Huey
    run_job: object  # the Huey task: run_job(job_id) enqueues

    @property
    def immediate(self) -> bool:
        return self.huey.immediate


def check_url(url: str) -> None:
    """Raises ValueError naming the setting unless ``url`` is a queue this module knows."""
    known = url == IMMEDIATE or url.startswith(("redis://", "rediss://", "unix://"))
    if not (known or (url.startswith("sqlite:///") and len(url) > len("sqlite:///"))):
        raise ValueError("JOBS_URL must be sqlite:///FILE, redis://HOST:PORT/DB or immediate")


def make_huey(url: str, name: str) -> Huey:
    """The Huey instance for ``JOBS_URL``. Huey keeps no results: a job's result is its row
    in the app's database."""
    check_url(url)
    if url == IMMEDIATE:
        return MemoryHuey(name, immediate=True, results=False)
    if url.startswith("sqlite:///"):
        return SqliteHuey(name, filename=url.removeprefix("sqlite:///"), results=False)
    return RedisHuey(name, url=url, results=False)


def init_app(app: Flask) -> None:
    """Check the setting now; the queue is built when first used, so that a command that
    queues nothing opens no queue (the SQLite queue creates its file when built)."""
    check_url(app.config["JOBS_URL"])
    app.extensions["circularity.jobs"] = None


_building = threading.Lock()


def _build(app: Flask) -> Queue:
    huey = make_huey(app.config["JOBS_URL"], app.config["JOBS_QUEUE"])

    @huey.task(name=TASK)
    def run_job(job_id: int) -> None:
        from circularity.services import jobs

        with app.app_context():
            jobs.perform(job_id)

    return Queue(huey, run_job)


def get_queue(app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()
    with _building:
        if app.extensions["circularity.jobs"] is None:
            app.extensions["circularity.jobs"] = _build(app)
        return app.extensions["circularity.jobs"]


def enqueue(job_id: int) -> None:
    """Hand job ``job_id`` to the queue (in immediate mode: run it now)."""
    get_queue().run_job(job_id)


def consumer(app: Flask, workers: int) -> Consumer:
    """A consumer of the app's queue with ``workers`` threads; ``run()`` it in a worker
    process (it stops on SIGINT or SIGTERM, finishing the jobs it has first)."""
    return get_queue(app).huey.create_consumer(
        workers=workers, worker_type="thread", periodic=False
    )


class InProcessConsumer(Consumer):
    """A consumer running in threads beside the web server in one process (``circularity
    demo``, ``serve --worker``): the server owns the process's signals, and stops the
    consumer when it stops."""

    def _set_signal_handlers(self) -> None:
        pass


def start_in_process(app: Flask, workers: int = 1) -> InProcessConsumer | None:
    """Start consuming the app's queue in threads of this process; None when jobs run
    immediately and there is nothing to consume."""
    queue = get_queue(app)
    if queue.immediate:
        return None
    found = InProcessConsumer(queue.huey, workers=workers, worker_type="thread", periodic=False)
    found.start()
    return found
