"""The market's requests and answers: offers, demands, matching runs with their proposals, and
exchanges, filled from what services.market returns to the pages."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from circularity.api.schemas.common import Amount, Body, CompanyRef, MaterialOut, material
from circularity.models import Demand, Offer
from circularity.services.market import listings, matching
from circularity.services.market.benefits import Benefit, Transport
from circularity.services.market.exchanges import ExchangeView
from circularity.services.market.pages import CompanyMarket, MarketOverview

Period = Literal[tuple(listings.PERIODS)]
ListingStatus = Literal["open", "withdrawn"]


class FactorOut(BaseModel):
    """The avoided emissions a tonne of the material earns when it replaces primary material."""

    defra_material: str | None = Field(description="The reviewed DEFRA material it maps to")
    kgco2e_per_t: float | None = Field(description="None: no factor, left out of matching")
    reason: str = Field(description="How the factor was chosen, or why there is none")
    comment: str = Field(description="The mapping reviewer's note")


def factor(found: Benefit) -> FactorOut:
    return FactorOut(
        defra_material=found.defra_material,
        kgco2e_per_t=found.kgco2e_per_t,
        reason=found.reason,
        comment=found.comment,
    )


class OfferOut(BaseModel):
    id: int
    material: MaterialOut
    mass_g: int = Field(description="Per period, or the whole lot, in exact grams")
    period: Period = Field(description="lot: one lot; week, month (30 days), year: per period")
    period_days: int | None
    available_from: date
    available_until: date | None
    lat: float
    lon: float
    quality: str
    origin: Literal["manual", "history"]
    status: ListingStatus
    created_at: datetime
    factor: FactorOut


def _period(days: int | None) -> str:
    return listings.period_name(days) if days else "lot"


def offer_out(offer: Offer, benefit: Benefit) -> OfferOut:
    return OfferOut(
        id=offer.id,
        material=material(offer.material_code),
        mass_g=offer.mass_g,
        period=_period(offer.period_days),
        period_days=offer.period_days,
        available_from=offer.available_from,
        available_until=offer.available_until,
        lat=offer.lat,
        lon=offer.lon,
        quality=offer.quality,
        origin=offer.origin,
        status=offer.status,
        created_at=offer.created_at,
        factor=factor(benefit),
    )


class DemandOut(BaseModel):
    id: int
    accepts: list[MaterialOut] = Field(description="Any of these materials")
    mass_g: int = Field(description="Per period, or the whole lot, in exact grams")
    period: Period
    period_days: int | None
    lat: float
    lon: float
    max_distance_km: float | None = Field(description="Road km it takes material from")
    hazardous_permit: bool
    quality: str
    status: ListingStatus
    created_at: datetime


def demand_out(demand: Demand) -> DemandOut:
    return DemandOut(
        id=demand.id,
        accepts=[material(code) for code in demand.accepts.split()],
        mass_g=demand.mass_g,
        period=_period(demand.period_days),
        period_days=demand.period_days,
        lat=demand.lat,
        lon=demand.lon,
        max_distance_km=demand.max_distance_km,
        hazardous_permit=demand.hazardous_permit,
        quality=demand.quality,
        status=demand.status,
        created_at=demand.created_at,
    )


class OfferList(BaseModel):
    items: list[OfferOut] = Field(description="The company's offers, newest first")
    total: int


class DemandList(BaseModel):
    items: list[DemandOut] = Field(description="The company's demands, newest first")
    total: int


def offer_list(page: CompanyMarket) -> OfferList:
    return OfferList(
        items=[offer_out(row.offer, row.factor) for row in page.offers], total=len(page.offers)
    )


def demand_list(page: CompanyMarket) -> DemandList:
    return DemandList(
        items=[demand_out(row.demand) for row in page.demands], total=len(page.demands)
    )


Latitude = Amount | None
Tonnes = Amount


class OfferRequest(Body):
    material: str = Field(max_length=20, description="List-of-Waste code: 170405 or '17 04 05'")
    tonnes: Tonnes = Field(description="Tonnes per period, or of the whole lot")
    period: Period
    available_from: str | None = Field(
        None, max_length=20, description="YYYY-MM-DD; today when left out"
    )
    available_until: str | None = Field(None, max_length=20, description="YYYY-MM-DD")
    lat: Latitude = Field(None, description="Where it is; the company's site when left out")
    lon: Latitude = None
    quality: str = Field("", max_length=500)
    origin: Literal["manual", "history"] = Field(
        "manual", description="history: the quantity GET /offers/from-history proposed"
    )


class DemandRequest(Body):
    accepts: list[str] = Field(
        min_length=1,
        max_length=50,
        description="List-of-Waste codes the company can take",
    )
    tonnes: Tonnes = Field(description="Tonnes per period, or of the whole lot")
    period: Period
    lat: Latitude = Field(None, description="Where it goes; the company's site when left out")
    lon: Latitude = None
    max_distance_km: Amount | None = Field(None, description="Road km, at most 5000")
    hazardous_permit: bool = Field(False, description="It may take hazardous waste")
    quality: str = Field("", max_length=500)


class HistoryQuery(BaseModel):
    material: str = Field(max_length=20, description="List-of-Waste code")
    months: str = Field("6", max_length=3, description="How far back to look: 1 to 24")


class HistoryOfferOut(BaseModel):
    """An offer proposed from the batches of the material the company made recently; send it
    to POST /offers with origin "history" to list it."""

    material: MaterialOut
    months: int
    window_start: datetime
    window_end: datetime
    masses_g: list[int] = Field(description="Every batch counted, oldest first")
    median_g: int = Field(description="The typical batch: the median of masses_g")
    period: Period
    period_days: int
    batches_per_period: float = Field(description="len(masses_g) × period_days / (months × 30)")
    quantity_g: int = Field(description="median_g × batches_per_period, rounded")


def history_offer(found) -> HistoryOfferOut:
    return HistoryOfferOut(
        material=material(found.material_code),
        months=found.months,
        window_start=found.window_start,
        window_end=found.window_end,
        masses_g=found.masses_g,
        median_g=found.median_g,
        period=found.period,
        period_days=found.period_days,
        batches_per_period=found.batches_per_period,
        quantity_g=found.quantity_g,
    )


class Withdrawn(BaseModel):
    id: int
    kind: Literal["offer", "demand"]
    status: ListingStatus


class TransportOut(BaseModel):
    kgco2e_per_tkm: float
    source_row: str = Field(description="The DEFRA row it is taken from")
    description: str


def transport(found: Transport) -> TransportOut:
    return TransportOut(
        kgco2e_per_tkm=found.kgco2e_per_tkm,
        source_row=found.row_id,
        description=found.description,
    )


class MaterialTotals(BaseModel):
    material: MaterialOut
    supply_t: float = Field(description="Open offers, tonnes per 30 days (a lot counts whole)")
    demand_t: float = Field(description="Open demands accepting it, tonnes per 30 days")
    offers: int
    demands: int
    factor: FactorOut


class CompanyTotals(BaseModel):
    company: str
    supply_t: float
    demand_t: float
    offers: int
    demands: int


class RunSummary(BaseModel):
    id: int
    created_at: datetime
    total_net_kgco2e: float = Field(description="CO2e all its proposals save per 30 days")


def run_summary(run) -> RunSummary:
    return RunSummary(id=run.id, created_at=run.created_at, total_net_kgco2e=run.total_net_kgco2e)


class MarketOut(BaseModel):
    """The open market as the overview page shows it."""

    by_material: list[MaterialTotals]
    by_company: list[CompanyTotals]
    runs: list[RunSummary] = Field(description="The latest 20 matching runs, newest first")
    transport: TransportOut
    factor_source: str = Field(description="Where the benefit factors come from")


def market(page: MarketOverview, factor_source: str) -> MarketOut:
    return MarketOut(
        by_material=[
            MaterialTotals(
                material=material(row.material.code),
                supply_t=row.totals.supply_t,
                demand_t=row.totals.demand_t,
                offers=row.totals.offers,
                demands=row.totals.demands,
                factor=factor(row.factor),
            )
            for row in page.by_material
        ],
        by_company=[
            CompanyTotals(
                company=t.key,
                supply_t=t.supply_t,
                demand_t=t.demand_t,
                offers=t.offers,
                demands=t.demands,
            )
            for t in page.by_company
        ],
        runs=[run_summary(r) for r in page.runs],
        transport=transport(page.transport),
        factor_source=factor_source,
    )


class RunList(BaseModel):
    items: list[RunSummary] = Field(description="The latest 20 runs, newest first")


Decision = Literal["accepted", "rejected"]


class ProposalOut(BaseModel):
    id: int
    rank: int = Field(description="1 saves the most CO2")
    offer: int
    demand: int
    material: MaterialOut
    supplier: str
    receiver: str
    mass_g: int = Field(description="Per 30 days, or of the lot")
    distance_km: float = Field(description="Road km: great-circle km × road circuity")
    benefit_kgco2e_per_t: float
    transport_kgco2e: float = Field(description="transport factor × distance_km × tonnes")
    net_kgco2e: float = Field(description="benefit × tonnes − transport")
    decision: Decision | None
    exchange: int | None = Field(description="The exchange agreed when it was accepted")


class Unmatched(BaseModel):
    offer: int
    company: str
    material: MaterialOut
    mass_g: int = Field(description="What was left unmatched")
    reason: str = Field(description="A name a client can act on: no_demand, demand_filled ...")
    text: str = Field(description="The reason in words")


class RunDetail(RunSummary):
    factor_source: str
    transport_kgco2e_per_tkm: float
    road_circuity: float
    period_days: int
    proposals: list[ProposalOut] = Field(description="Most CO2 saved first")
    unmatched: list[Unmatched] = Field(description="Offers left (partly) unmatched, and why")


def run_detail(view: matching.RunView) -> RunDetail:
    run = view.run
    return RunDetail(
        **run_summary(run).model_dump(),
        factor_source=run.factor_source,
        transport_kgco2e_per_tkm=run.transport_kgco2e_per_tkm,
        road_circuity=run.road_circuity,
        period_days=run.period_days,
        proposals=[
            ProposalOut(
                id=pv.proposal.id,
                rank=pv.proposal.rank,
                offer=pv.proposal.offer_id,
                demand=pv.proposal.demand_id,
                material=material(pv.proposal.material_code),
                supplier=pv.supplier,
                receiver=pv.receiver,
                mass_g=pv.proposal.mass_g,
                distance_km=pv.proposal.distance_km,
                benefit_kgco2e_per_t=pv.proposal.benefit_kgco2e_per_t,
                transport_kgco2e=pv.proposal.transport_kgco2e,
                net_kgco2e=pv.proposal.net_kgco2e,
                decision=pv.decision,
                exchange=pv.exchange_id,
            )
            for pv in view.proposals
        ],
        unmatched=[
            Unmatched(
                offer=item["offer"],
                company=item["company"],
                material=material(item["material"]),
                mass_g=item["mass_g"],
                reason=item["reason"],
                text=item["text"],
            )
            for item in view.explanations
        ],
    )


class ShipmentOut(BaseModel):
    batch: str = Field(description="The batch's label code")
    shipped_at: datetime
    sent_g: int
    received_g: int | None = Field(description="Weighed on arrival; None while in transit")


class ExchangeOut(BaseModel):
    id: int
    proposal: int
    offer: int
    demand: int
    supplier: CompanyRef
    receiver: CompanyRef
    material: MaterialOut
    planned_g: int = Field(description="Per period, or of the lot")
    period_days: int | None = Field(description="None: one lot")
    status: str
    created_at: datetime
    delivered_g: int = Field(description="Sum of received_g of its shipments")
    in_transit_g: int = Field(description="Sum of sent_g of shipments not yet received")
    fulfilled: bool = Field(description="A lot whose delivered_g reached planned_g")
    shipments: list[ShipmentOut]


def exchange_out(view: ExchangeView) -> ExchangeOut:
    exchange = view.exchange
    return ExchangeOut(
        id=exchange.id,
        proposal=exchange.proposal_id,
        offer=exchange.offer_id,
        demand=exchange.demand_id,
        supplier=CompanyRef(id=exchange.supplier_company_id, name=view.supplier),
        receiver=CompanyRef(id=exchange.receiver_company_id, name=view.receiver),
        material=material(exchange.material_code),
        planned_g=exchange.planned_g,
        period_days=exchange.period_days,
        status=exchange.status,
        created_at=exchange.created_at,
        delivered_g=view.delivered_g,
        in_transit_g=view.in_transit_g,
        fulfilled=view.fulfilled,
        shipments=[
            ShipmentOut(
                batch=s.batch_code,
                shipped_at=s.shipped_at,
                sent_g=s.sent_g,
                received_g=s.received_g,
            )
            for s in view.shipments
        ],
    )


class ExchangeList(BaseModel):
    items: list[ExchangeOut] = Field(description="Newest first")
    total: int


class Decided(BaseModel):
    proposal: int
    run: int
    decision: Decision
    exchange: ExchangeOut | None = Field(description="The exchange an acceptance agreed")
