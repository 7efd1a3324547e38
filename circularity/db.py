"""The database engine, one session per request, and write transactions.

SQLite runs in WAL mode with synchronous=FULL (an acknowledged event survives a power loss)
and a busy timeout, and every write transaction starts with ``BEGIN IMMEDIATE``: two people
acting at once queue for the write lock (SQLite retries for up to the busy timeout) instead
of one of them failing half-way with "database is locked". Reads use plain deferred
transactions, so they never wait for writers. PostgreSQL keeps its defaults (every commit
synced) and gets row locks (``SELECT ... FOR UPDATE``) from the services instead.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

WRITE_OPTION = "circularity_write"
#: SQL parameters (password hashes, emails, names) never appear in the messages of database
#: errors or in SQL logging: a failed insert would otherwise carry them into the logs.
HIDE_PARAMETERS = True
SQLITE_SYNCHRONOUS = "FULL"
#: Set in ``session.info`` while a write transaction is open on that session.
_WRITING = "circularity_writing"


def make_engine(url: str) -> Engine:
    """Build the engine for ``url`` with the pragmas and transaction style it needs."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            poolclass=StaticPool if in_memory else None,
            hide_parameters=HIDE_PARAMETERS,
        )
        _configure_sqlite(engine, wal=not in_memory)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=HIDE_PARAMETERS
    )


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
        # FULL: in WAL mode NORMAL syncs only at checkpoints, so a power loss can take
        # transactions already acknowledged; FULL syncs the WAL at every commit
        # (bench/sync_cost.py measures what that costs a write).
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run one write operation in its own transaction, committed or rolled back whole.

    Any read transaction the request had open is ended first, so that the write starts
    from a fresh snapshot with the write lock (SQLite) and cannot fail on a stale one.

    Raises RuntimeError, after rolling back, when a write transaction is already open on
    this session: committing the inner one would commit the outer one's work half-done.
    """
    if session.info.get(_WRITING):
        session.rollback()
        raise RuntimeError(
            "write transactions do not nest: the operation already runs in one, "
            "and it has been rolled back"
        )
    if session.in_transaction():
        session.commit()
    session.info[_WRITING] = True
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_WRITING, None)


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
