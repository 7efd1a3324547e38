"""Companies and user accounts: creation, passwords, login checks and sessions.

Passwords are hashed with argon2 (argon2-cffi's recommended parameters); a hash made with
older parameters is upgraded at the next successful login.

Sessions live in signed cookies that name the account's ``session_token``; ``end_sessions``
gives the account a new token, which ends every session of that person on every device (a
cookie copied before stops working at once). Logging out, disabling an account, an admin's
revocation and a new password all do it.
"""

import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from circularity.db import write_transaction
from circularity.i18n import LANGUAGES
from circularity.models import COMPANY_KINDS, Company, User
from circularity.models.account import new_session_token
from circularity.roles import ROLES
from circularity.services import fields
from circularity.services.errors import Conflict, InvalidInput, NotFound
from circularity.services.fields import coordinate, required_text

_hasher = PasswordHasher()
# A real hash to verify against when the email is unknown, so both cases take as long.
_DUMMY_HASH = _hasher.hash("not a password anyone has")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
# argon2 takes any length, but nobody types more; a bound keeps hashing cheap for the server.
MAX_PASSWORD = 1000


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _checked_password(password: str | None, field: str) -> str:
    """A password long enough to resist guessing, or InvalidInput naming ``field``."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput("Use a password of at least %(n)d characters.", field, n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("Use a password of at most %(n)d characters.", field, n=MAX_PASSWORD)
    return password


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = session.exec(select(User).where(User.email == (email or "").strip().lower())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with write_transaction(session):
            user.password_hash = hash_password(password)
            session.add(user)
    return user


def companies(session: Session, active_only: bool = True) -> list[Company]:
    """The park's companies by name (only the active ones unless asked)."""
    query = select(Company).order_by(Company.name)
    if active_only:
        query = query.where(Company.active)
    return list(session.exec(query).all())


def company_names(session: Session) -> dict[int, str]:
    """Every company's name by id, inactive ones included (history still names them), read
    as plain rows: the pages that name companies need no Company objects."""
    return dict(session.exec(select(Company.id, Company.name)).all())


@dataclass
class Directory:
    """Every company and account, for administration."""

    companies: list[Company]
    users: list[User]
    names: dict[int, str]


def directory(session: Session) -> Directory:
    """The companies by name, the accounts by role and email, inactive ones included."""
    everyone = companies(session, active_only=False)
    users = session.exec(select(User).order_by(User.role, User.email)).all()
    return Directory(everyone, list(users), {c.id: c.name for c in everyone})


def create_company(
    session: Session,
    *,
    name: str,
    sector: str,
    lat: str | float,
    lon: str | float,
    address: str = "",
    kind: str = "producer",
) -> Company:
    """A new company of the park, at WGS84 coordinates, of one of COMPANY_KINDS."""
    name, sector = required_text(name, "name", 200), required_text(sector, "sector", 100)
    kind = (kind or "producer").strip()
    if kind not in COMPANY_KINDS:
        raise InvalidInput(
            "Choose what the company is: a producer, a recycler or waste management.", "kind"
        )
    lat, lon = coordinate(lat, "lat", 90), coordinate(lon, "lon", 180)
    with write_transaction(session):
        taken = session.exec(select(Company).where(func.lower(Company.name) == name.lower()))
        if taken.first():
            raise Conflict("A company with this name exists already.", "name")
        company = Company(
            name=name, sector=sector, kind=kind, lat=lat, lon=lon, address=address.strip()
        )
        session.add(company)
    return company


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    company_id: str | int | None = None,
) -> User:
    """A new account. Staff belong to a company; the other roles work for the whole park."""
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput("Enter an email address.", "email")
    name = required_text(name, "name", 200)
    password = _checked_password(password, "password")
    if role not in ROLES:
        raise InvalidInput("Choose a role: %(roles)s.", "role", roles=", ".join(ROLES))
    try:
        with write_transaction(session):
            user = _insert_user(session, email, name, password, role, company_id)
    except IntegrityError:
        # Another request created the same email between the check and the insert.
        raise Conflict("An account with this email exists already.", "email") from None
    return user


def _insert_user(
    session: Session, email: str, name: str, password: str, role: str, company_id
) -> User:
    """Insert the account inside the caller's write transaction."""
    company = None
    if role == "staff":
        try:
            company = session.get(Company, fields.record_id(company_id, "company"))
        except InvalidInput:
            company = None  # not an id at all, or beyond any row's: no such company
        if company is None:
            raise InvalidInput("Staff belong to a company: choose one.", "company")
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict("An account with this email exists already.", "email")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        company_id=company.id if company else None,
    )
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, user_id: int, active: bool, acting: User) -> User:
    """Enable or disable an account; nobody can lock themselves out. Disabling ends the
    person's sessions at once, not at their next login."""
    with write_transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.", "user")
        if user.id == acting.id and not active:
            raise Conflict("You cannot disable your own account.", "user")
        user.active = active
        if not active:
            user.session_token = new_session_token()
        session.add(user)
    return user


def session_user(session: Session, user_id: str, token: str) -> User | None:
    """The active account a session cookie names, or None once its token has changed (the
    person logged out or was logged out) or the account is disabled or gone."""
    try:
        user = session.get(User, int(user_id))
    except (TypeError, ValueError, OverflowError):
        return None
    if user is None or not user.active or not token:
        return None
    return user if secrets.compare_digest(user.session_token, token) else None


def end_sessions(session: Session, user_id: int) -> User:
    """End every session of this person, on every device: logging out, "log out
    everywhere" and an admin's revocation. Returns the account with its new token."""
    with write_transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.", "user")
        user.session_token = new_session_token()
        session.add(user)
    return user


def change_password(session: Session, user_id: int, current: str, new: str, repeated: str) -> User:
    """A new password for this person, who proves the current one first. Every other
    session ends; the caller opens this one again with the returned account's new token."""
    with write_transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.", "user")
        try:
            _hasher.verify(user.password_hash, current or "")
        except (VerificationError, InvalidHashError):
            raise InvalidInput("The current password is wrong.", "current_password") from None
        new = _checked_password(new, "new_password")
        if new != repeated:
            raise InvalidInput("The two new passwords differ.", "repeat_password")
        user.password_hash = hash_password(new)
        user.session_token = new_session_token()
        session.add(user)
    return user


def checked_locale(locale: str | None) -> str | None:
    """A catalogue of ``LANGUAGES``, or None for "as the browser asks" (None or empty), or
    InvalidInput naming the languages there are."""
    locale = (locale or "").strip() or None
    if locale is not None and locale not in LANGUAGES:
        raise InvalidInput(
            "Choose one of the languages offered: %(languages)s.",
            "locale",
            languages=", ".join(LANGUAGES.values()),
        )
    return locale


def set_locale(session: Session, user_id: int, locale: str | None) -> User:
    """The language this person reads pages in (``checked_locale``); None follows the
    browser's Accept-Language again."""
    locale = checked_locale(locale)
    with write_transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.", "user")
        user.locale = locale
        session.add(user)
    return user
