"""API tokens: made and revoked by their person on the account page, checked on every request
to the JSON API.

A token acts as its person, with that person's company and role, and only within its scopes:
``read`` for what the person may see, ``record`` besides for what the person may record. The
secret is 256 random bits shown once when the token is made; only its SHA-256 hash is kept, so
the token table opens nothing if it leaks. A revoked token, or any token of a disabled
account, opens nothing from the next request on.
"""

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, func, select

from circularity.db import write_transaction
from circularity.models import ApiToken, User
from circularity.services.errors import Conflict, InvalidInput, NotFound
from circularity.services.fields import required_text
from circularity.times import utcnow

#: Every secret starts so, which secret scanners and people recognise.
SECRET_PREFIX = "circ_"
#: What the person chooses: reading alone, or reading and recording.
ACCESS = {"read": ("read",), "record": ("read", "record")}
#: Tokens a person may hold at once: one per system that talks to the park, with room to spare.
MAX_TOKENS = 20
#: Characters of a secret kept in the clear, to tell tokens apart in the list.
SHOWN = 12


@dataclass
class NewToken:
    """A token just made, and its secret: shown once, never stored."""

    token: ApiToken
    secret: str


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def tokens(session: Session, user: User) -> list[ApiToken]:
    """The person's tokens in use, newest first."""
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
        ).all()
    )


def create(session: Session, user: User, *, name: str, access: str) -> NewToken:
    """A new token for this person named ``name``, with the scopes of ``access`` ("read" or
    "record"). Raises InvalidInput naming the field, or Conflict when the person holds
    MAX_TOKENS already."""
    label = required_text(name, "name", 100)
    if access not in ACCESS:
        raise InvalidInput("Choose read only, or read and record.", "scopes")
    with write_transaction(session):
        held = session.exec(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).one()
        if held >= MAX_TOKENS:
            raise Conflict(
                "You hold %(n)d tokens already; revoke one you no longer use.",
                "name",
                n=MAX_TOKENS,
            )
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            user_id=user.id,
            name=label,
            secret_hash=secret_hash(secret),
            prefix=secret[:SHOWN],
            scopes=" ".join(ACCESS[access]),
        )
        session.add(token)
        session.flush()
    return NewToken(token, secret)


def revoke(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the person's tokens; raises NotFound for another's or a revoked one."""
    with write_transaction(session):
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != user.id or token.revoked_at is not None:
            raise NotFound("You have no such token.", "token")
        token.revoked_at = utcnow()
        session.add(token)
    return token


# Built once: every API request asks it.
_BY_HASH = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.secret_hash == bindparam("hash"), ApiToken.revoked_at.is_(None))
)


def authenticate(session: Session, secret: str) -> tuple[User, ApiToken] | None:
    """The active person and token this secret opens, or None (unknown, revoked, or the
    account disabled)."""
    if not secret or len(secret) > 200:
        return None
    found = session.exec(_BY_HASH, params={"hash": secret_hash(secret)}).first()
    if found is None:
        return None
    token, user = found
    return (user, token) if user.active else None
