"""An acknowledged event survives a power loss: SQLite syncs its WAL at every commit."""

import pytest
from sqlalchemy import text

from circularity.db import is_postgres


def test_sqlite_runs_in_wal_mode_with_full_sync(db_session):
    if is_postgres(db_session):
        pytest.skip("PostgreSQL keeps its defaults (fsync and synchronous_commit on)")
    assert db_session.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    # 2 is FULL (0 OFF, 1 NORMAL, 3 EXTRA).
    assert db_session.execute(text("PRAGMA synchronous")).scalar_one() == 2


def test_postgresql_commits_are_synchronous(db_session):
    if not is_postgres(db_session):
        pytest.skip("SQLite: see the test above")
    assert db_session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
    assert db_session.execute(text("SHOW fsync")).scalar_one() == "on"
