"""Monthly totals of the custody records, kept beside the event log for the dashboard.

A park's year is about a million events; the dashboard must answer in a fraction of a second
with exact figures, so it reads these totals instead of the log. They are derived data: the
same write transaction that appends an event adds its records here (circularity.services.
aggregates), and ``rebuild`` recomputes them from the log, which stays the record.
"""

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class MonthlyFlow(SQLModel, table=True):
    """Exact grams and record count of one kind of custody record in one month.

    ``month`` is the calendar month in the park's time zone ("2025-03"). ``partner_id`` is the
    receiving company of a shipment and 0 otherwise, ``route`` the R/D code of a closing and ""
    otherwise: not NULL, so that the unique key is a key on every database.
    """

    __table_args__ = (
        UniqueConstraint("month", "kind", "reason", "company_id", "partner_id", "route",
                         "material_code"),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)
    kind: str = Field(max_length=12)  # mfa.model.RecordKind
    reason: str = Field(max_length=12)  # the event's operation
    company_id: int = Field(foreign_key="company.id")  # the holder, or a shipment's source
    partner_id: int = 0
    route: str = Field(default="", max_length=3)
    material_code: str = Field(max_length=6)
    mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    records: int = 0
