"""The append-only, hash-chained event log in the EPCIS 2.0 vocabulary.

Events are inserted and never updated or deleted. Each stores the hash of its predecessor
and of its own canonical content; ``ChainHead`` holds the last sequence number and hash, and
its single row is locked by every writer so the chain has one order.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from circularity.times import utcnow


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    event_id: str = Field(unique=True, max_length=64)  # urn:uuid:..., the EPCIS eventID
    client_event_id: str = Field(unique=True, max_length=64)
    operation: str = Field(max_length=12, index=True)  # register, ship, receive, split, ...
    event_type: str = Field(max_length=24)  # ObjectEvent or TransformationEvent
    action: str | None = Field(default=None, max_length=8)  # ADD, OBSERVE, DELETE
    biz_step: str = Field(max_length=40)
    disposition: str = Field(max_length=40)
    event_time: datetime = Field(index=True)
    event_timezone_offset: str = Field(max_length=6)
    record_time: datetime = Field(default_factory=utcnow)
    company_id: int = Field(foreign_key="company.id", index=True)  # the readPoint
    user_id: int = Field(foreign_key="user.id")
    source_company_id: int | None = Field(default=None, foreign_key="company.id")
    destination_company_id: int | None = Field(default=None, foreign_key="company.id")
    distance_km: float | None = None
    route: str | None = Field(default=None, max_length=3)  # R1-R13 / D1-D15 of a closing
    corrects_event_seq: int | None = None  # a correction names the event it corrects
    payload: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class EventBatch(SQLModel, table=True):
    """Which batches an event touched, and by how much: the mass ledger."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    role: str = Field(max_length=8)  # object, input, output
    mass_delta_g: int = Field(sa_column=Column(BigInteger, nullable=False))


class ChainHead(SQLModel, table=True):
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)
