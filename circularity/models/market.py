"""The symbiosis market: offers, demands, matching runs with their proposals, and exchanges.

Offers and demands are what companies say they have and can take; a matching run is an
append-only record of what the engine proposed from them, with the factors it used; an
accepted proposal becomes an exchange that batches are shipped under.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from circularity.times import utcnow

# open: in the market; withdrawn: taken out by its company (kept, so old runs still resolve).
LISTING_STATUSES = ("open", "withdrawn")


class Offer(SQLModel, table=True):
    """Supply: a material a company has, per period (days) or as one lot (period_days None)."""

    id: int | None = Field(default=None, primary_key=True)
    client_token: str = Field(unique=True, max_length=64)
    company_id: int = Field(foreign_key="company.id", index=True)
    material_code: str = Field(index=True, max_length=6)
    mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    period_days: int | None = None
    available_from: date
    available_until: date | None = None
    lat: float
    lon: float
    quality: str = Field(default="", max_length=500)
    # manual, or history: proposed from the company's batches and confirmed by a person.
    origin: str = Field(default="manual", max_length=10)
    status: str = Field(default="open", max_length=10, index=True)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Demand(SQLModel, table=True):
    """What a company can take: any of `accepts` (List-of-Waste codes, space-separated)."""

    id: int | None = Field(default=None, primary_key=True)
    client_token: str = Field(unique=True, max_length=64)
    company_id: int = Field(foreign_key="company.id", index=True)
    accepts: str = Field(max_length=500)
    mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    period_days: int | None = None
    lat: float
    lon: float
    max_distance_km: float | None = None
    hazardous_permit: bool = False
    quality: str = Field(default="", max_length=500)
    status: str = Field(default="open", max_length=10, index=True)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class MatchRun(SQLModel, table=True):
    """One run of the engine: the instance it was given, what it answered, and the factors."""

    id: int | None = Field(default=None, primary_key=True)
    client_token: str = Field(unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    factor_source: str = Field(max_length=300)
    transport_kgco2e_per_tkm: float
    road_circuity: float
    period_days: int
    total_net_kgco2e: float
    instance: str = Field(sa_column=Column(Text, nullable=False))  # JSON, as given to the engine
    result: str = Field(sa_column=Column(Text, nullable=False))  # JSON, as the engine answered
    # JSON list of offers left (partly) unmatched: {offer, tonnes, reason, material}.
    explanations: str = Field(sa_column=Column(Text, nullable=False))


class Proposal(SQLModel, table=True):
    """One match of a run, ranked by net CO2 saved; never changed (decisions are separate rows)."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="matchrun.id", index=True)
    rank: int
    offer_id: int = Field(foreign_key="offer.id")
    demand_id: int = Field(foreign_key="demand.id")
    material_code: str = Field(max_length=6)
    mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    distance_km: float
    benefit_kgco2e_per_t: float
    transport_kgco2e: float
    net_kgco2e: float


class ProposalDecision(SQLModel, table=True):
    """The coordinator's answer to a proposal; one per proposal, so accepting twice is once."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", unique=True)
    decision: str = Field(max_length=8)  # accepted or rejected
    user_id: int = Field(foreign_key="user.id")
    decided_at: datetime = Field(default_factory=utcnow)


class Exchange(SQLModel, table=True):
    """An agreed exchange between two companies, fulfilled by batches shipped under it."""

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", unique=True)
    offer_id: int = Field(foreign_key="offer.id", index=True)
    demand_id: int = Field(foreign_key="demand.id", index=True)
    supplier_company_id: int = Field(foreign_key="company.id", index=True)
    receiver_company_id: int = Field(foreign_key="company.id", index=True)
    material_code: str = Field(max_length=6)
    planned_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    period_days: int | None = None  # planned_g per period; None: one lot
    status: str = Field(default="open", max_length=10, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ExchangeShipment(SQLModel, table=True):
    """A ship event made under an exchange; the event table stays as the chain defines it."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", unique=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
