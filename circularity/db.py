"""The database engine, one session per request, and write transactions.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE``: two people acting at once queue for the write lock instead of one of
them failing half-way with "database is locked". Reads use plain deferred transactions, so
they never wait for writers. PostgreSQL gets row locks (``SELECT ... FOR UPDATE``) from the
services instead.

SQLite's own wait for the write lock is a poll with growing sleeps (up to 100 ms a time), so
under many concurrent writers a waiter sleeps long after the lock came free. Writers to a
SQLite file therefore first line up on a lock that wakes the next one as soon as it is
released (``WriterQueue``); the busy timeout stays as the safety net for other programs.
"""

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy timeout alone orders the writers
    fcntl = None

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

WRITE_OPTION = "circularity_write"


def make_engine(url: str) -> Engine:
    """Build the engine for ``url`` with the pragmas and transaction style it needs."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            poolclass=StaticPool if in_memory else None,
        )
        _configure_sqlite(engine, wal=not in_memory)
        database = engine.url.database
        _writer_queues[engine] = WriterQueue(None if in_memory else f"{database}-writers")
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so writes can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight to the driver: through SQLAlchemy's execution machinery this one statement
        # cost a fifth of a page's fixed database overhead.
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


class WriterQueue:
    """One SQLite writer at a time, woken in turn: threads of a process wait on a mutex, and
    processes (gunicorn workers) on ``flock`` of a lock file beside the database.

    The lock file is not the database file itself: closing any descriptor of a file drops
    the POSIX locks SQLite holds on it. The descriptor is reopened after a fork, since a
    forked child would share the parent's lock instead of competing for it.
    """

    def __init__(self, lock_path: str | None):
        self._mutex = threading.RLock()  # a write inside a write waits for nobody
        self._depth = 0
        self._lock_path = lock_path if fcntl is not None else None
        self._fd: int | None = None
        self._pid: int | None = None

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def __del__(self) -> None:
        # Engines come and go (tests build hundreds); their queues must not keep descriptors.
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._mutex:
            self._depth += 1
            outermost = self._depth == 1 and self._lock_path is not None
            try:
                if outermost:
                    fd = self._descriptor()
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    try:
                        yield
                    finally:
                        fcntl.flock(fd, fcntl.LOCK_UN)
                else:
                    yield
            finally:
                self._depth -= 1


_writer_queues: "weakref.WeakKeyDictionary[Engine, WriterQueue]" = weakref.WeakKeyDictionary()


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run one write operation in its own transaction, committed or rolled back whole.

    Any read transaction the request had open is ended first, so that the write starts
    from a fresh snapshot with the write lock (SQLite) and cannot fail on a stale one.
    """
    if session.in_transaction():
        session.commit()
    queue = _writer_queues.get(session.get_bind())
    with queue.turn() if queue is not None else nullcontext():
        session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def rows(session: Session, statement, params: dict | None = None):
    """Run a read on the session's connection and return plain rows, not ORM objects.

    A page that only shows what it reads needs no identity map, no instance state and no
    unit of work: on the batch page and the scan, the ORM's handling of a query cost two to
    four times what SQLite took to answer it. Rows read here are attributes by column name
    (``row.code``), which is all the templates and the access rules ask of them; writes load
    ORM objects as before.
    """
    return session.connection().execute(statement, params or {})


def init_app(app: Flask) -> None:
    app.extensions["circularity.engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["circularity.engine"]


def get_session() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = Session(get_engine(), expire_on_commit=False)
    return g.db


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
