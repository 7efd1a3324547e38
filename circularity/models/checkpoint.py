"""Signed checkpoints of the event chain: what was signed, and when.

A checkpoint pins the first ``tree_size`` events: their RFC 6962 tree head and the hash of
the last one, signed with the park's Ed25519 key. The row keeps the signed note as it was
written to the file; like the events, rows are only ever added.
"""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from circularity.times import utcnow


class Checkpoint(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    tree_size: int = Field(index=True)
    root_hash: str = Field(max_length=64)  # hex of the tree head
    head_hash: str = Field(max_length=64)  # chain hash of event tree_size
    key_id: str = Field(max_length=8)  # hex of the signing key's C2SP key ID
    signed_at: datetime = Field(default_factory=utcnow, index=True)
    note: str = Field(sa_column=Column(Text, nullable=False))  # the signed note, verbatim
