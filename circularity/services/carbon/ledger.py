"""The credit ledger as its page reads it: pages of entries, totals summed by the database,
the batches waiting to be booked, the runs.

Nothing here assesses a batch. Assessing needs the park's whole custody graph (seconds at a
million events), so only booking does it (services.carbon.credits); the page counts and lists
what waits with plain queries, and tells from the batch row and the reviewed tables alone
what keeps a batch from a credit (no route, no material mapping, no baseline). The reasons
that need the graph (recyclate merged into fresh waste, outputs burnt, a factor missing) are
given by the booking that meets them.
"""

from dataclasses import dataclass

from sqlalchemy import case, exists
from sqlmodel import Session, col, func, select

from circularity.db import rows
from circularity.models import Batch, Credit, CreditRun, Event, EventBatch
from circularity.services.carbon import factors
from circularity.services.carbon.credits import LEDGER, PROVISIONAL
from mfa.routes import ROUTES

#: Rows a page of the ledger, of the waiting batches and of the runs shows.
PAGE_SIZE = 50
RUNS_PAGE_SIZE = 10
#: The R codes a credit can come from (R2-R11, mfa.routes' circular routes).
CIRCULAR = tuple(sorted(code for code, route in ROUTES.items() if route.circular))


def _current():
    """The condition of a current entry: in the ledger and superseded by no later one."""
    superseded = select(Credit.supersedes_id).where(col(Credit.supersedes_id).is_not(None))
    return (Credit.ledger == LEDGER) & col(Credit.id).not_in(superseded)


@dataclass
class Totals:
    """The current entries summed: how many, their credit and mass, how many provisional."""

    entries: int
    credit_kg: float
    mass_g: int
    provisional: int
    #: Entries per factor set and edition; more than one key: a mixed ledger.
    set_counts: dict[str, int]


def totals(session: Session) -> Totals:
    """Sums over every current entry, grouped by the database by set and status."""
    found = rows(
        session,
        select(
            Credit.factor_set,
            Credit.factor_edition,
            func.count().label("n"),
            func.coalesce(func.sum(Credit.credit_kg), 0.0).label("kg"),
            func.coalesce(func.sum(Credit.mass_g), 0).label("g"),
            func.coalesce(func.sum(case((Credit.status == PROVISIONAL, 1), else_=0)), 0).label(
                "provisional"
            ),
        )
        .where(_current())
        .group_by(Credit.factor_set, Credit.factor_edition)
        .order_by(Credit.factor_set, Credit.factor_edition),
    ).all()
    return Totals(
        entries=sum(r.n for r in found),
        credit_kg=sum(float(r.kg) for r in found),
        mass_g=sum(int(r.g) for r in found),
        provisional=sum(int(r.provisional) for r in found),
        set_counts={f"{r.factor_set} {r.factor_edition}": r.n for r in found},
    )


def entries(session: Session, page: int) -> list[Credit]:
    """Page ``page`` (from 1) of the current entries, newest closings first."""
    # The ledger test is written so that no index can serve it (``ledger || ''``): SQLite
    # would otherwise take the ledger's unique index for it, read every entry and sort them
    # all (80 ms for 16,000 entries) instead of walking the closing-time index (0.4 ms).
    superseded = select(Credit.supersedes_id).where(col(Credit.supersedes_id).is_not(None))
    return list(
        session.exec(
            select(Credit)
            .where((Credit.ledger + "") == LEDGER, col(Credit.id).not_in(superseded))
            .order_by(col(Credit.closed_at).desc(), col(Credit.id).desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
    )


def attribution(session: Session) -> list[tuple[int, int, float]]:
    """(company id, credits, kg CO2e) for each company taking part in current credits, from
    the two columns it needs read as plain rows (services.carbon.credits.attribution)."""
    totals_of: dict[int, list] = {}
    for companies, kg in rows(
        session, select(Credit.companies, Credit.credit_kg).where(_current())
    ):
        for company in dict.fromkeys(companies.split()):
            row = totals_of.setdefault(int(company), [0, 0.0])
            row[0] += 1
            row[1] += kg
    ranked = sorted(totals_of.items(), key=lambda item: (-item[1][1], item[0]))
    return [(company, count, kg) for company, (count, kg) in ranked]


def _recyclate():
    """A batch made by a circular closing: its mass is wholly in that closing's credit. Only
    a treatment's outputs can be, so no other batch is looked up."""
    return (Batch.origin == "treatment") & exists(
        select(EventBatch.id)
        .join(Event, Event.id == EventBatch.event_id)
        .where(
            EventBatch.batch_id == Batch.id,
            EventBatch.role == "output",
            Event.operation == "close",
            col(Event.route).in_(CIRCULAR),
        )
    )


def _waiting():
    """Closed batches a booking would assess and that have no entry yet: closed by a circular
    route or by none at all, not in the ledger, not recyclate of an earlier circular closing."""
    booked = select(Credit.batch_id).where(Credit.ledger == LEDGER)
    return (
        (Batch.status == "closed")
        & (col(Batch.closing_operation).in_(CIRCULAR) | col(Batch.closing_operation).is_(None))
        & col(Batch.id).not_in(booked)
        & ~_recyclate()
    )


@dataclass
class Waiting:
    """One closed batch without a credit, and what the batch row and the reviewed tables
    already say against one (empty: booking will price it, or give its reason)."""

    code: str
    material_code: str
    closing_operation: str | None
    factor_material: str | None
    reasons: list[str]


def _static_reasons(closing_operation: str | None, material: str | None) -> list[str]:
    if closing_operation is None:
        return ["no_route"]
    if material is None:
        return ["unmapped"]
    if material not in factors.material_settings():
        return ["no_baseline"]
    return []


def waiting_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Batch).where(_waiting())).one()


def waiting(session: Session, page: int) -> list[Waiting]:
    """Page ``page`` (from 1) of the batches waiting, oldest first, as plain rows."""
    found = rows(
        session,
        select(Batch.code, Batch.material_code, Batch.closing_operation)
        .where(_waiting())
        .order_by(Batch.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE),
    ).all()
    listed = []
    for row in found:
        material = factors.mapping(row.material_code).material
        reasons = _static_reasons(row.closing_operation, material)
        listed.append(
            Waiting(row.code, row.material_code, row.closing_operation, material, reasons)
        )
    return listed


def runs_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(CreditRun)).one()


def runs(session: Session, page: int) -> list[CreditRun]:
    """Page ``page`` (from 1) of the booking and recalculation runs, newest first."""
    return list(
        session.exec(
            select(CreditRun)
            .order_by(col(CreditRun.id).desc())
            .offset((page - 1) * RUNS_PAGE_SIZE)
            .limit(RUNS_PAGE_SIZE)
        ).all()
    )
