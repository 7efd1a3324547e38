"""What each carbon page shows, gathered in one call per page.

A view parses the request, calls one function here and renders its answer; nothing here
writes.
"""

import json
from dataclasses import dataclass

from sqlmodel import Session

from circularity.models import Batch, Credit, CreditRun, InventoryEntry
from circularity.services import accounts, catalogue
from circularity.services.carbon import balance, credits, factors, ledger
from circularity.services.catalogue import Material


@dataclass
class BalancePage:
    result: balance.Balance
    #: The inventory figures in use, oldest first.
    figures: list[InventoryEntry]


def balance_page(session: Session) -> BalancePage:
    """The balance per year and month, and the inventory figures it counts."""
    figures = sorted(balance.inventory(session).values(), key=lambda e: (e.year, e.month))
    return BalancePage(balance.balance(session), figures)


@dataclass
class FactorSetPage:
    library: factors.Library
    #: The set this one takes the kinds it lacks from, if any.
    base: factors.Library | None
    rows: list[tuple[tuple[str, str, str], factors.FactorValue]]


def factor_set_page(session: Session, key: str) -> FactorSetPage:
    """One factor set and its factors by (material, kind, route); raises NotFound."""
    library = factors.get_set(session, key)
    base = factors.get_set(session, library.base) if library.base else None
    return FactorSetPage(library, base, sorted(library.factors.items()))


@dataclass
class Ledger:
    """A page of the current credits with the whole ledger's totals, a page of the batches
    waiting to be booked, a page of the runs. Built from queries alone: nothing is assessed."""

    totals: ledger.Totals
    entries: list[Credit]
    page: int
    waiting: list[ledger.Waiting]
    waiting_total: int
    waiting_page: int
    runs: list[CreditRun]
    runs_total: int
    runs_page: int
    sets: list[factors.Library]
    names: dict[int, str]
    page_size: int
    runs_page_size: int


def ledger_page(
    session: Session, page: int = 1, waiting_page: int = 1, runs_page: int = 1
) -> Ledger:
    """The ledger page; each page number counts from 1 (a page past the end is empty)."""
    return Ledger(
        totals=ledger.totals(session),
        entries=ledger.entries(session, page),
        page=page,
        waiting=ledger.waiting(session, waiting_page),
        waiting_total=ledger.waiting_count(session),
        waiting_page=waiting_page,
        runs=ledger.runs(session, runs_page),
        runs_total=ledger.runs_count(session),
        runs_page=runs_page,
        sets=factors.all_sets(session),
        names=accounts.company_names(session),
        page_size=ledger.PAGE_SIZE,
        runs_page_size=ledger.RUNS_PAGE_SIZE,
    )


@dataclass
class AttributionPage:
    #: (company id, credits, kg CO2e), largest first.
    rows: list[tuple[int, int, float]]
    names: dict[int, str]


def attribution_page(session: Session) -> AttributionPage:
    """Every company taking part in current credits, each credit in full beside each; kept
    off the ledger page, since it reads every current entry (services.carbon.ledger)."""
    return AttributionPage(ledger.attribution(session), accounts.company_names(session))


@dataclass
class CreditPage:
    """One ledger entry with the inputs it was computed from and its batch's other entries."""

    entry: Credit
    batch: Batch
    inputs: dict
    history: list[Credit]
    names: dict[int, str]
    material: Material | None


def credit_page(session: Session, credit_id: int) -> CreditPage:
    """Raises NotFound for an unknown credit."""
    entry = credits.get_credit(session, credit_id)
    return CreditPage(
        entry=entry,
        batch=session.get(Batch, entry.batch_id),
        inputs=json.loads(entry.inputs),
        history=credits.history(session, entry.batch_id),
        names=accounts.company_names(session),
        material=catalogue.materials().get(entry.material_code),
    )
