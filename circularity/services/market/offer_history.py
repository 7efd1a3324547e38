"""An offer proposed from what a company's batches show it really produces.

Staff confirm a number they can check: over the last N months (a month is 30 days here) the
company created n batches of the material; the typical batch is their median mass; the period
is the shortest of week, month and year in which at least one batch is expected; the proposed
quantity is median mass × batches per period, with batches per period = n × period / window.
Only batches the company made count: registrations and treatment outputs, not splits or merges
(which repackage mass already counted) and not batches received from others.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median

from sqlmodel import Session, select

from circularity.models import Batch, Event, EventBatch, User
from circularity.roles import can
from circularity.services import catalogue
from circularity.services.errors import Forbidden, InvalidInput

DAYS_PER_MONTH = 30
#: Candidate periods, shortest first: a week, a 30-day month, a year.
PERIOD_CHOICES = (("week", 7), ("month", 30), ("year", 365))


@dataclass(frozen=True)
class HistoryOffer:
    material_code: str
    months: int
    window_start: datetime
    window_end: datetime
    masses_g: list[int]
    median_g: int
    period: str
    period_days: int
    batches_per_period: float
    quantity_g: int

    @property
    def count(self) -> int:
        return len(self.masses_g)


def _months(value) -> int:
    text = str(value).strip()
    try:
        months = int(text) if text.isascii() else 0
    except ValueError:
        raise InvalidInput("Enter a whole number of months from 1 to 24.", "months") from None
    if not 1 <= months <= 24:
        raise InvalidInput("Enter a whole number of months from 1 to 24.", "months")
    return months


def produced_masses(
    session: Session, company_id: int, material_code: str, since: datetime
) -> list[int]:
    """Masses (g) of the batches of this material the company made since a time, oldest first."""
    rows = session.exec(
        select(EventBatch.mass_delta_g)
        .join(Event, Event.id == EventBatch.event_id)
        .join(Batch, Batch.id == EventBatch.batch_id)
        .where(
            Event.company_id == company_id,
            Event.event_time >= since,
            Batch.material_code == material_code,
            (
                (Event.operation == "register") & (EventBatch.role == "object")
                | (Event.operation == "close") & (EventBatch.role == "output")
            ),
        )
        .order_by(Event.event_time, Event.seq)
    ).all()
    return [int(g) for g in rows]


def propose(
    session: Session, user: User, material: str, months: str | int = 6, now: datetime | None = None
) -> HistoryOffer:
    """The offer the company's recent batches suggest; raises when fewer than two exist."""
    if not can(user, "list_on_market") or user.company_id is None:
        raise Forbidden("Only staff of a company can list what it has or can take.")
    entry = catalogue.get_material(material)
    months = _months(months)
    end = now or datetime.now(UTC)
    window_days = months * DAYS_PER_MONTH
    start = end - timedelta(days=window_days)
    masses = produced_masses(session, user.company_id, entry.code, start)
    if len(masses) < 2:
        raise InvalidInput(
            "Your company made %(count)d batches of this material in the last %(months)d "
            "months; a typical quantity needs at least two.",
            "material",
            count=len(masses),
            months=months,
        )
    typical = round(median(masses))
    for name, days in PERIOD_CHOICES:
        per_period = len(masses) * days / window_days
        if per_period >= 1 or name == "year":
            break
    return HistoryOffer(
        material_code=entry.code,
        months=months,
        window_start=start,
        window_end=end,
        masses_g=masses,
        median_g=typical,
        period=name,
        period_days=days,
        batches_per_period=per_period,
        quantity_g=round(typical * per_period),
    )
