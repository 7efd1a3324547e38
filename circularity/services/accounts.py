"""Companies and user accounts: creation, passwords and login checks.

Passwords are hashed with argon2 (argon2-cffi's recommended parameters); a hash made with
older parameters is upgraded at the next successful login.
"""

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, func, select

from circularity.db import write_transaction
from circularity.models import Company, User
from circularity.roles import ROLES
from circularity.services.errors import Conflict, InvalidInput, NotFound
from circularity.services.fields import coordinate, required_text

_hasher = PasswordHasher()
# A real hash to verify against when the email is unknown, so both cases take as long.
_DUMMY_HASH = _hasher.hash("not a password anyone has")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


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
) -> Company:
    """A new company of the park, at WGS84 coordinates."""
    name, sector = required_text(name, "name", 200), required_text(sector, "sector", 100)
    lat, lon = coordinate(lat, "lat", 90), coordinate(lon, "lon", 180)
    with write_transaction(session):
        taken = session.exec(select(Company).where(func.lower(Company.name) == name.lower()))
        if taken.first():
            raise Conflict("A company with this name exists already.", "name")
        company = Company(name=name, sector=sector, lat=lat, lon=lon, address=address.strip())
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
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(
            "Use a password of at least %(n)d characters.", "password", n=MIN_PASSWORD
        )
    if role not in ROLES:
        raise InvalidInput("Choose a role: %(roles)s.", "role", roles=", ".join(ROLES))
    with write_transaction(session):
        company = None
        if role == "staff":
            try:
                company = session.get(Company, int(company_id))
            except (TypeError, ValueError):
                company = None
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
    return user


def set_active(session: Session, user_id: int, active: bool, acting: User) -> User:
    """Enable or disable an account; nobody can lock themselves out."""
    with write_transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.", "user")
        if user.id == acting.id and not active:
            raise Conflict("You cannot disable your own account.", "user")
        user.active = active
        session.add(user)
    return user
