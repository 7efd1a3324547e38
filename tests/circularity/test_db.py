"""Write transactions: each operation is one, committed or rolled back whole, and they do not
nest (on SQLite and PostgreSQL alike)."""

import pytest
from sqlmodel import select

from circularity.db import write_transaction
from circularity.models import Company


def _company(name: str) -> Company:
    return Company(name=name, sector="Test", lat=31.6, lon=121.1)


def test_a_write_transaction_commits_its_work(db_session):
    with write_transaction(db_session):
        db_session.add(_company("Committed Ltd"))
    db_session.rollback()  # nothing left to roll back: it was committed
    assert db_session.exec(select(Company).where(Company.name == "Committed Ltd")).one()


def test_a_nested_write_transaction_raises_and_nothing_is_written(db_session):
    with pytest.raises(RuntimeError, match="do not nest"), write_transaction(db_session):
        db_session.add(_company("Outer Ltd"))
        db_session.flush()  # the outer one's work is in the database's transaction
        with write_transaction(db_session):
            db_session.add(_company("Inner Ltd"))
    names = db_session.exec(select(Company.name)).all()
    assert "Outer Ltd" not in names and "Inner Ltd" not in names


def test_after_a_refused_nesting_the_next_write_works(db_session):
    with pytest.raises(RuntimeError), write_transaction(db_session), write_transaction(db_session):
        pass
    with write_transaction(db_session):
        db_session.add(_company("Afterwards Ltd"))
    assert db_session.exec(select(Company).where(Company.name == "Afterwards Ltd")).one()
