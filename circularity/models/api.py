"""The JSON API's records: the tokens people create for their systems, and the answers to
writes sent with an Idempotency-Key.

A token acts for the person who made it (and so for that person's company and role) with the
scopes chosen when it was made. Only a SHA-256 hash of its secret is stored: the secret is
shown once, and a copy of this table opens nothing.
"""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from circularity.times import utcnow

#: What a token may do: ``read`` every GET its person may; ``record`` the writes.
SCOPES = ("read", "record")


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)  # what the person calls it: "weighbridge", "ERP"
    # Hex SHA-256 of the secret. The secret carries 256 random bits, so a fast hash suffices:
    # no dictionary or brute force reaches it, unlike a password.
    secret_hash: str = Field(unique=True, max_length=64)
    # The secret's first characters, shown in the list so that tokens can be told apart.
    prefix: str = Field(max_length=16)
    scopes: str = Field(max_length=40)  # space-separated SCOPES
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class ApiRequest(SQLModel, table=True):
    """A write sent with an Idempotency-Key: who sent it, what (as a fingerprint) and the
    answer it got, returned again to a retry. ``status`` is None while the first request is
    being answered."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    operation: str = Field(max_length=40)
    request_digest: str = Field(max_length=64)
    status: int | None = None
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
