"""No password hash, email address or SQL parameter reaches the logs, not even when an
insert fails and the error is logged with its traceback."""

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from circularity.db import get_engine
from circularity.logs import redact
from circularity.models import User
from circularity.services import accounts
from tests.helpers import post

HASH = accounts.hash_password("a password nobody may read")


def test_redact_removes_hashes_and_addresses():
    text = f"Key (email)=(alice@park.test) already exists. [{HASH}, 'bob.x+1@mail.example.cn']"
    assert redact(text) == "Key (email)=(<email>) already exists. [<password hash>, '<email>']"


def _assert_clean(log: str) -> None:
    assert "$argon2" not in log
    assert "@park.test" not in log
    assert "a password nobody may read" not in log


def _insert_duplicate(session, **_form) -> User:
    """An insert the database refuses (the email is taken), as a bug or a race would send."""
    session.add(User(email="alice@park.test", name="Alice", password_hash=HASH, role="admin"))
    session.commit()


def test_a_failed_insert_logs_no_hash_email_or_parameter(as_person, caplog, monkeypatch):
    monkeypatch.setattr(accounts, "create_user", _insert_duplicate)
    admin = as_person("ada")
    with caplog.at_level(logging.INFO):
        response = post(admin, "/admin/users", {"email": "alice@park.test", "name": "x"})
    assert response.status_code == 500
    assert "Unhandled error" in caplog.text and "IntegrityError" in caplog.text
    assert "[SQL parameters hidden due to hide_parameters=True]" in caplog.text
    _assert_clean(caplog.text)


def test_database_errors_carry_no_parameters(app, db_session):
    assert get_engine(app).hide_parameters
    with pytest.raises(IntegrityError) as error:
        _insert_duplicate(db_session)
    db_session.rollback()
    assert HASH not in str(error.value)
    assert "SQL parameters hidden" in str(error.value)


def test_sql_logging_shows_no_parameters(app, db_session, caplog):
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        user = db_session.get(User, 1)
        user.password_hash = HASH
        db_session.add(user)
        db_session.commit()
    assert "UPDATE" in caplog.text
    assert HASH not in caplog.text


def test_a_duplicate_account_is_a_conflict_not_a_failed_insert(db_session):
    with pytest.raises(accounts.Conflict):
        accounts.create_user(
            db_session,
            email="alice@park.test",
            name="Alice again",
            password="long enough password",
            role="admin",
        )
