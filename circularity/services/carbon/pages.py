"""What each carbon page shows, gathered in one call per page.

A view parses the request, calls one function here and renders its answer; nothing here
writes.
"""

import json
from dataclasses import dataclass

from sqlmodel import Session

from circularity.models import Batch, Credit, CreditRun, InventoryEntry
from circularity.services import accounts, catalogue
from circularity.services.carbon import balance, credits, factors
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
    """The current credits, their attribution to companies, what waits and the runs."""

    entries: list[Credit]
    #: (company id, credits, kg CO2e), largest first.
    attribution: list[tuple[int, int, float]]
    pending: list[credits.Assessment]
    runs: list[CreditRun]
    sets: list[factors.Library]
    names: dict[int, str]
    #: Current entries per factor set and edition; more than one key: a mixed ledger.
    set_counts: dict[str, int]


def ledger(session: Session) -> Ledger:
    entries = credits.current_credits(session)
    return Ledger(
        entries=entries,
        attribution=credits.attribution(entries),
        pending=credits.pending(session),
        runs=credits.runs(session),
        sets=factors.all_sets(session),
        names=accounts.company_names(session),
        set_counts=credits.set_counts(entries),
    )


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
