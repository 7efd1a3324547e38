"""The district carbon balance: imported factor sets, the credit ledger and the inventory.

Factor sets shipped with the project are data files (circularity/data/factors); the sets
management imports live here. The credit ledger and the inventory are append-only: a credit is
never changed, a recalculation adds an entry that supersedes it; a corrected inventory figure
is a new entry, and the newest one counts.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from circularity.times import utcnow

#: The pilot's eight key areas of the district inventory.
INVENTORY_AREAS = (
    "planning",
    "digital_control",
    "energy",
    "resource_recycling",
    "industry",
    "construction",
    "mobility_logistics",
    "lifestyle",
)


class FactorSet(SQLModel, table=True):
    """A factor set imported by management (a local grid or virgin-material set, say)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=40)
    name: str = Field(max_length=200)
    edition: str = Field(max_length=60)
    source: str = Field(max_length=500)
    licence: str = Field(max_length=200)
    # A shipped or imported set whose factors of a kind are used when this set has none.
    base_key: str | None = Field(default=None, max_length=40)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Factor(SQLModel, table=True):
    """One factor of an imported set, kept as given and in the canonical unit of its kind."""

    __table_args__ = (UniqueConstraint("set_id", "material", "kind", "route"),)

    id: int | None = Field(default=None, primary_key=True)
    set_id: int = Field(foreign_key="factorset.id", index=True)
    material: str = Field(max_length=200)
    kind: str = Field(max_length=12)  # disposal, production, freight
    route: str = Field(max_length=40)
    value: float  # kg CO2e per t (disposal, production) or per t.km (freight)
    value_given: float
    unit_given: str = Field(max_length=30)
    source: str = Field(default="", max_length=300)


class CreditRun(SQLModel, table=True):
    """One booking or recalculation: who ran it, when, and with which factor set."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)  # book or recalculate
    factor_set: str = Field(max_length=40)
    factor_edition: str = Field(max_length=60)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    note: str = Field(default="", max_length=500)
    entries: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Credit(SQLModel, table=True):
    """Avoided emissions of one closed batch in one ledger, with every input it used.

    ``revision`` 1 is the first booking; a recalculation adds revision n+1 that names the entry
    it supersedes. The unique constraint makes a second first booking of a batch impossible,
    whatever the order or number of bookings.
    """

    __table_args__ = (
        UniqueConstraint("ledger", "batch_id", "revision"),
        # Covers the ledger page's totals (migration 0020): summed without reading the rows.
        Index(
            "ix_credit_sums",
            "ledger",
            "factor_set",
            "factor_edition",
            "status",
            "credit_kg",
            "mass_g",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ledger: str = Field(default="district", max_length=20)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    revision: int = 1
    supersedes_id: int | None = Field(default=None, foreign_key="credit.id", unique=True)
    run_id: int = Field(foreign_key="creditrun.id", index=True)
    close_event_id: int = Field(foreign_key="event.id")
    closed_at: datetime = Field(index=True)
    company_id: int = Field(foreign_key="company.id", index=True)  # the company that treated it
    companies: str = Field(max_length=500)  # every company that held it or its ancestors
    material_code: str = Field(max_length=6)
    operation: str = Field(max_length=3)
    route: str = Field(max_length=24)
    factor_material: str = Field(max_length=200)
    factor_set: str = Field(max_length=40)
    factor_edition: str = Field(max_length=60)
    factor_source: str = Field(max_length=500)
    # The mass credited: what reached final recycling, plus (while provisional) the mass of
    # outputs whose fate is not known yet (``pending_g``). ``input_g`` is what the closing
    # treated; the difference went to disposal, energy recovery or was lost.
    mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    input_g: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    pending_g: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    # "final", or "provisional" while some outputs have no known fate: a later entry makes it
    # final or reduces it (it supersedes this one; nothing is edited).
    status: str = Field(default="final", max_length=12)
    baseline: str = Field(max_length=24)
    # Why that baseline: the citation of the park's counterfactual for this material.
    baseline_source: str = Field(default="", max_length=300)
    substitution: float
    substitution_source: str = Field(max_length=300)
    distance_km: float
    disposal_kg: float
    production_kg: float
    transport_kg: float
    credit_kg: float
    # JSON: each factor used, with its value, unit and the source row it came from.
    inputs: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class InventoryEntry(SQLModel, table=True):
    """Emissions of one key area in one month (1-12) or one year (month 0), t CO2e.

    Entries are never changed: the newest entry for an area and period is the figure.
    """

    id: int | None = Field(default=None, primary_key=True)
    area: str = Field(max_length=30, index=True)
    year: int = Field(index=True)
    month: int = 0
    tco2e: float
    source: str = Field(default="", max_length=300)
    # An example figure (the demo park's), never a real inventory: every page and export that
    # shows it says so.
    illustrative: bool = False
    # JSON, empty for a typed total: the activity data the figure was computed from
    # (services/carbon/activity.py), each input with its amount, unit, factor and the factor's
    # source, as recorded.
    inputs: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    user_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
