"""What the market pages show, gathered in one call per page.

A view parses the request, calls one function here and renders its answer: each listing comes
with its materials, its period's name and its benefit factor already looked up, so a template
shows them without asking for more.
"""

from dataclasses import dataclass

from sqlmodel import Session

from circularity.models import Demand, MatchRun, Offer, User
from circularity.services import catalogue
from circularity.services.catalogue import Material
from circularity.services.market import benefits, exchanges, listings, matching
from circularity.services.market.benefits import Benefit, Transport
from circularity.services.market.exchanges import ExchangeView


@dataclass
class OfferRow:
    offer: Offer
    material: Material
    #: The name of the offer's period ("week", "month", ...); one lot has none.
    period: str | None
    factor: Benefit


@dataclass
class DemandRow:
    demand: Demand
    accepts: list[Material]
    period: str | None


@dataclass
class CompanyMarket:
    """A company's offers, demands and exchanges, and the materials its forms offer."""

    offers: list[OfferRow]
    demands: list[DemandRow]
    exchanges: list[ExchangeView]
    materials: dict[str, Material]


def _period(days: int | None) -> str | None:
    return listings.period_name(days) if days else None


def company_market(session: Session, user: User) -> CompanyMarket:
    """What the person's company lists and has agreed, newest first."""
    materials = catalogue.materials()
    offers, demands = listings.company_listings(session, user.company_id)
    return CompanyMarket(
        offers=[
            OfferRow(
                o,
                materials[o.material_code],
                _period(o.period_days),
                benefits.benefit(o.material_code),
            )
            for o in offers
        ],
        demands=[
            DemandRow(d, [materials[code] for code in d.accepts.split()], _period(d.period_days))
            for d in demands
        ],
        exchanges=exchanges.list_exchanges(session, user),
        materials=materials,
    )


@dataclass
class MaterialSupply:
    totals: listings.Totals
    material: Material
    factor: Benefit


@dataclass
class MarketOverview:
    """The open market by material and by company, the latest runs and the cited factors."""

    by_material: list[MaterialSupply]
    by_company: list[listings.Totals]
    runs: list[MatchRun]
    transport: Transport


def market_overview(session: Session) -> MarketOverview:
    materials = catalogue.materials()
    by_material, by_company = listings.overview(session)
    return MarketOverview(
        by_material=[
            MaterialSupply(t, materials[t.key], benefits.benefit(t.key)) for t in by_material
        ],
        by_company=by_company,
        runs=matching.runs(session),
        transport=benefits.transport(),
    )
