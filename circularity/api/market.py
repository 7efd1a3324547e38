"""The market: offers and demands, matching runs and their proposals, exchanges.

Each view calls the function the market page calls (``services.market``) and guards itself
with the capability the page's view requires: staff list their company's offers and demands,
the park's roles see the overview and the runs, the coordinator runs matching and decides on
proposals, and everyone sees the exchanges their company is part of (the park's roles: all).
Writes run once per Idempotency-Key (``idempotent.run``); the key is the listing's or run's
client token.
"""

from circularity.api import idempotent
from circularity.api.auth import caller, requires
from circularity.api.base import reads, writes
from circularity.api.blueprint import bp
from circularity.api.schemas import jobs as job_schemas
from circularity.api.schemas import market as schemas
from circularity.db import get_session
from circularity.services import jobs
from circularity.services.market import benefits, exchanges, listings, matching, offer_history
from circularity.services.market import pages as market_pages

#: A row id in an address: a number PostgreSQL's integer holds, or no such address (404).
ID = "int(min=1, max=2147483647)"
LISTINGS, RUNS, EXCHANGES = ("offers and demands",), ("matching",), ("exchanges",)


@bp.get("/offers")
@requires("list_on_market")
@reads(schemas.OfferList, tags=LISTINGS)
def list_offers():
    """The offers of the token's company, open and withdrawn, newest first (staff)."""
    return schemas.offer_list(market_pages.company_market(get_session(), caller()))


@bp.get("/demands")
@requires("list_on_market")
@reads(schemas.DemandList, tags=LISTINGS)
def list_demands():
    """The demands of the token's company, open and withdrawn, newest first (staff)."""
    return schemas.demand_list(market_pages.company_market(get_session(), caller()))


@bp.post("/offers")
@requires("list_on_market")
@writes(schemas.OfferOut, json=schemas.OfferRequest, tags=LISTINGS)
def create_offer(json: schemas.OfferRequest):
    """List a material the company has, per period or as one lot (staff)."""

    def write(key: str):
        offer = listings.create_offer(
            get_session(),
            caller(),
            material=json.material,
            tonnes=json.tonnes,
            period=json.period,
            available_from=json.available_from,
            available_until=json.available_until,
            lat=json.lat,
            lon=json.lon,
            quality=json.quality,
            origin=json.origin,
            client_token=key,
        )
        return 201, schemas.offer_out(offer, benefits.benefit(offer.material_code))

    return idempotent.run("create_offer", json, write)


@bp.post("/demands")
@requires("list_on_market")
@writes(schemas.DemandOut, json=schemas.DemandRequest, tags=LISTINGS)
def create_demand(json: schemas.DemandRequest):
    """List what the company can take: any of the accepted materials, up to the tonnes (staff)."""

    def write(key: str):
        demand = listings.create_demand(
            get_session(),
            caller(),
            accepts=",".join(json.accepts),
            tonnes=json.tonnes,
            period=json.period,
            lat=json.lat,
            lon=json.lon,
            max_distance_km=json.max_distance_km,
            hazardous_permit=json.hazardous_permit,
            quality=json.quality,
            client_token=key,
        )
        return 201, schemas.demand_out(demand)

    return idempotent.run("create_demand", json, write)


def _withdraw(kind: str, listing_id: int):
    def write(_key: str):
        row = listings.withdraw(get_session(), caller(), kind, listing_id)
        return 200, schemas.Withdrawn(id=row.id, kind=kind, status=row.status)

    return idempotent.run(f"withdraw_{kind}", None, write, id=listing_id)


@bp.post(f"/offers/<{ID}:listing_id>/withdraw")
@requires("list_on_market")
@writes(schemas.Withdrawn, status=200, tags=LISTINGS)
def withdraw_offer(listing_id: int):
    """Take an offer of the company out of the market; matching no longer considers it.
    Withdrawing it again changes nothing."""
    return _withdraw("offer", listing_id)


@bp.post(f"/demands/<{ID}:listing_id>/withdraw")
@requires("list_on_market")
@writes(schemas.Withdrawn, status=200, tags=LISTINGS)
def withdraw_demand(listing_id: int):
    """Take a demand of the company out of the market. Withdrawing it again changes nothing."""
    return _withdraw("demand", listing_id)


@bp.get("/offers/from-history")
@requires("list_on_market")
@reads(schemas.HistoryOfferOut, query=schemas.HistoryQuery, tags=LISTINGS)
def offer_from_history(query: schemas.HistoryQuery):
    """The offer the company's recent batches of a material suggest, with its arithmetic:
    the median batch times the batches per period. Needs at least two batches."""
    found = offer_history.propose(get_session(), caller(), query.material, query.months)
    return schemas.history_offer(found)


@bp.get("/market")
@requires("see_market")
@reads(schemas.MarketOut, tags=RUNS)
def market_overview():
    """Open supply and demand by material and by company, the latest runs and the factors
    they use (the park's roles)."""
    page = market_pages.market_overview(get_session())
    return schemas.market(page, benefits.FACTOR_SOURCE)


@bp.get("/runs")
@requires("see_market")
@reads(schemas.RunList, tags=RUNS)
def list_runs():
    """The latest 20 matching runs, newest first, as the market overview lists them."""
    return schemas.RunList(items=[schemas.run_summary(r) for r in matching.runs(get_session())])


@bp.post("/runs")
@requires("run_matching")
@writes(job_schemas.JobOut, status=202, tags=RUNS)
def start_run():
    """Match the open market (the coordinator): a background job that stores the run with
    its ranked proposals and the reason for every offer left unmatched. Answers 202 with the
    job; GET its url until it is done, then its result's url is the run. A retry with the
    same Idempotency-Key answers the same job."""

    def write(key: str):
        session = get_session()
        job = jobs.start(session, caller(), "matching", key)
        return 202, job_schemas.job_out(jobs.view(session, caller(), job.id))

    return idempotent.run("start_run", None, write)


@bp.get(f"/runs/<{ID}:run_id>")
@requires("see_market")
@reads(schemas.RunDetail, errors=(404,), tags=RUNS)
def show_run(run_id: int):
    """One matching run with its proposals, most CO2 saved first, their decisions and the
    offers left unmatched with why."""
    return schemas.run_detail(matching.get_run(get_session(), run_id))


def _decide(proposal_id: int, decision: str):
    def write(_key: str):
        session = get_session()
        run_id, exchange = matching.decide(session, caller(), proposal_id, decision)
        agreed = None
        if exchange is not None:
            agreed = schemas.exchange_out(exchanges.get_exchange(session, caller(), exchange.id))
        return 201, schemas.Decided(
            proposal=proposal_id, run=run_id, decision=decision, exchange=agreed
        )

    return idempotent.run(decision, None, write, id=proposal_id)


@bp.post(f"/proposals/<{ID}:proposal_id>/accept")
@requires("run_matching")
@writes(schemas.Decided, tags=RUNS)
def accept_proposal(proposal_id: int):
    """Accept a proposal: an exchange is agreed between the two companies (the coordinator).
    Accepting it again answers the same exchange; one rejected is refused (409)."""
    return _decide(proposal_id, "accepted")


@bp.post(f"/proposals/<{ID}:proposal_id>/reject")
@requires("run_matching")
@writes(schemas.Decided, tags=RUNS)
def reject_proposal(proposal_id: int):
    """Reject a proposal (the coordinator); one accepted is refused (409)."""
    return _decide(proposal_id, "rejected")


@bp.get("/exchanges")
@reads(schemas.ExchangeList, tags=EXCHANGES)
def list_exchanges():
    """The exchanges the token's company supplies or receives (the park's roles: every one),
    newest first, with planned, delivered and in-transit masses."""
    found = exchanges.list_exchanges(get_session(), caller())
    return schemas.ExchangeList(items=[schemas.exchange_out(v) for v in found], total=len(found))


@bp.get(f"/exchanges/<{ID}:exchange_id>")
@reads(schemas.ExchangeOut, errors=(404,), tags=EXCHANGES)
def show_exchange(exchange_id: int):
    """One exchange with every batch shipped under it; another company's is answered as one
    that does not exist (404)."""
    return schemas.exchange_out(exchanges.get_exchange(get_session(), caller(), exchange_id))
