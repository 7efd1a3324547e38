"""The park's companies and people as this process last read them, kept while current.

Every request of a logged-in person loads that person and their company, and most pages show
company names; both change only when an admin changes them, a few times a year. The database
raises ``DirectoryVersion.version`` with every change to a company or a user (triggers,
migration 0006), so a process keeps what it has read for one version and reads it again once
the version moves: a request asks one small question instead of loading ORM objects.

The version is read once per transaction (kept in ``session.info`` until the transaction
ends), so a write that changes a company or a person is seen by the rest of its own request.
A database without the version row (built from the models rather than the migrations) is
read afresh every time.
"""

import threading
import weakref
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import bindparam, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from circularity.db import rows
from circularity.models import Company, DirectoryVersion, User

_SESSION_KEY = "circularity.directory"

_VERSION = select(DirectoryVersion.version).where(DirectoryVersion.id == 1)
_USER_WITH_COMPANY = (
    select(User, Company)
    .outerjoin(Company, Company.id == User.company_id)
    .where(User.id == bindparam("user_id"))
)
_COMPANIES = select(Company.id, Company.name, Company.active).order_by(Company.name)


class CompanyRow(NamedTuple):
    id: int
    name: str
    active: bool


@dataclass
class Snapshot:
    """What this process read at one version of the directory."""

    version: int | None
    users: dict[int, tuple[User, Company | None] | None] = field(default_factory=dict)
    companies: tuple[CompanyRow, ...] | None = None
    by_id: dict[int, CompanyRow] | None = None


_kept: "weakref.WeakKeyDictionary[Engine, Snapshot]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def snapshot(session: Session) -> Snapshot:
    """The directory as of this transaction: the kept snapshot if its version is current."""
    current = session.info.get(_SESSION_KEY)
    if current is not None:
        return current
    version = rows(session, _VERSION).scalar()
    engine = session.get_bind()
    with _lock:
        current = _kept.get(engine)
        if current is None or version is None or current.version != version:
            current = Snapshot(version)
            if version is not None:
                _kept[engine] = current
    session.info[_SESSION_KEY] = current
    return current


def user_with_company(session: Session, user_id: int) -> tuple[User, Company | None] | None:
    """The person with this id and their company, or None if there is no such person.

    The objects are detached from the session (shared by the requests of this process until
    the directory changes): read them, never change them; a change loads the row anew.
    """
    kept = snapshot(session)
    if user_id in kept.users:
        return kept.users[user_id]
    row = session.exec(_USER_WITH_COMPANY, params={"user_id": user_id}).first()
    found = None
    if row is not None:
        user, company = row
        session.expunge(user)
        if company is not None:
            session.expunge(company)
        found = (user, company)
    kept.users[user_id] = found
    return found


def companies(session: Session) -> tuple[CompanyRow, ...]:
    """Every company's id, name and whether it is active, by name."""
    kept = snapshot(session)
    if kept.companies is None:
        kept.companies = tuple(CompanyRow(*row) for row in rows(session, _COMPANIES))
    return kept.companies


def company(session: Session, company_id: int) -> CompanyRow | None:
    """One company's id, name and whether it is active, or None if there is no such company."""
    kept = snapshot(session)
    if kept.by_id is None:
        kept.by_id = {row.id: row for row in companies(session)}
    return kept.by_id.get(company_id)


@event.listens_for(Session, "after_transaction_end")
def _forget_version(session: Session, _transaction) -> None:
    # The next transaction may see another version: ask again then.
    session.info.pop(_SESSION_KEY, None)
