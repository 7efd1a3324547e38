"""Batches of waste or by-product: the things that carry QR labels.

A batch row is the current state (holder, mass, status) that the events produce; the
events are the record. ``verify`` replays the events and checks that the rows agree.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from circularity.times import utcnow

# held: at its holder; in_transit: shipped, awaiting receipt; closed: treated (R/D operation);
# consumed: all its mass went into other batches by a split or a merge.
BATCH_STATUSES = ("held", "in_transit", "closed", "consumed")


class Batch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Random, 128 bits, Crockford base32: the permanent label URL is <BASE_URL>/b/<code>.
    code: str = Field(index=True, unique=True, max_length=32)
    material_code: str = Field(index=True, max_length=6)
    company_id: int = Field(foreign_key="company.id", index=True)
    destination_company_id: int | None = Field(default=None, foreign_key="company.id", index=True)
    status: str = Field(default="held", max_length=12, index=True)
    mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    basis: str = Field(max_length=10)  # weighed or estimated
    origin: str = Field(max_length=12)  # registered, split, merge, treatment
    description: str = Field(default="", max_length=500)
    closing_operation: str | None = Field(default=None, max_length=3)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    version: int = 1
