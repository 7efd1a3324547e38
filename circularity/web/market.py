"""The symbiosis market: staff list offers and demands; the coordinator matches and decides.

Every form carries a client token, so a retried POST (a phone on a bad connection, a double
click) creates one offer, one run or one exchange.
"""

import uuid

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from circularity.config import setting
from circularity.db import get_session
from circularity.roles import can, requires
from circularity.services import catalogue, fields, jobs
from circularity.services.errors import ServiceError
from circularity.services.market import exchanges, listings, matching, offer_history, pages
from circularity.web.confirm import ask_first
from circularity.web.rendering import render

bp = Blueprint("market", __name__, url_prefix="/market")


def new_token() -> str:
    return uuid.uuid4().hex


@bp.get("/")
@login_required
def index():
    """Staff see their company's listings; the park's roles see the whole market."""
    if can(current_user, "list_on_market"):
        return _mine()
    return redirect(url_for("market.overview"))


def _mine(status: int = 200, error: ServiceError | None = None, form_name: str | None = None):
    return render(
        "market/mine.html",
        status=status,
        error=error,
        form_name=form_name,
        form=request.form if error else {},
        page=pages.company_market(get_session(), current_user),
        token=new_token(),
        periods=listings.PERIODS,
    )


@bp.post("/offers")
@requires("list_on_market")
def create_offer():
    form = request.form
    try:
        listings.create_offer(
            get_session(),
            current_user,
            material=form.get("material", ""),
            tonnes=form.get("tonnes"),
            period=form.get("period", ""),
            available_from=form.get("available_from"),
            available_until=form.get("available_until"),
            lat=form.get("lat"),
            lon=form.get("lon"),
            quality=form.get("quality", ""),
            origin=form.get("origin", "manual"),
            client_token=form.get("client_token", ""),
        )
    except ServiceError as error:
        return _mine(error.status, error, "offer")
    flash(_("Offer listed."))
    return redirect(url_for("market.index"), code=303)


@bp.post("/demands")
@requires("list_on_market")
def create_demand():
    form = request.form
    try:
        listings.create_demand(
            get_session(),
            current_user,
            accepts=form.get("accepts", ""),
            tonnes=form.get("tonnes"),
            period=form.get("period", ""),
            lat=form.get("lat"),
            lon=form.get("lon"),
            max_distance_km=form.get("max_distance_km"),
            hazardous_permit=form.get("hazardous_permit") == "1",
            quality=form.get("quality", ""),
            client_token=form.get("client_token", ""),
        )
    except ServiceError as error:
        return _mine(error.status, error, "demand")
    flash(_("Demand listed."))
    return redirect(url_for("market.index"), code=303)


@bp.post("/<any(offer, demand):kind>s/<int:listing_id>/withdraw")
@requires("list_on_market")
def withdraw(kind: str, listing_id: int):
    question = _("Withdraw this offer?") if kind == "offer" else _("Withdraw this demand?")
    detail = _("It leaves the market; matching runs no longer consider it.")
    if asked := ask_first(question, detail, url_for("market.index")):
        return asked
    try:
        listings.withdraw(get_session(), current_user, kind, listing_id)
    except ServiceError as error:
        return _mine(error.status, error)
    flash(_("Withdrawn from the market."))
    return redirect(url_for("market.index"), code=303)


@bp.get("/offers/from-history")
@requires("list_on_market")
def offer_from_history():
    """A proposed offer computed from the company's batches, shown with its arithmetic."""
    material = request.args.get("material", "")
    proposal, error, status = None, None, 200
    if material.strip():
        try:
            proposal = offer_history.propose(
                get_session(), current_user, material, request.args.get("months", "6")
            )
        except ServiceError as exc:
            error, status = exc, exc.status
    return render(
        "market/from_history.html",
        status=status,
        error=error,
        proposal=proposal,
        material=material,
        months=request.args.get("months", "6"),
        entry=catalogue.materials().get(proposal.material_code) if proposal else None,
        materials=catalogue.materials(),
        token=new_token(),
    )


@bp.get("/overview")
@requires("see_market")
def overview():
    return render(
        "market/overview.html",
        page=pages.market_overview(get_session()),
        token=new_token(),
        circuity=float(setting("ROAD_CIRCUITY")),
    )


@bp.post("/runs")
@requires("run_matching")
def run_matching():
    """Queue the run; its job's page shows the progress, then links to the run. A form sent
    twice finds the job it started."""
    job = jobs.start(get_session(), current_user, "matching", request.form.get("client_token", ""))
    return redirect(url_for("jobs.show", job_id=job.id), code=303)


@bp.get("/runs/<int:run_id>")
@requires("see_market")
def show_run(run_id: int):
    return _run_page(run_id)


def _run_page(run_id: int, status: int = 200, error: ServiceError | None = None):
    view = matching.get_run(get_session(), run_id)
    return render(
        "market/run.html",
        status=status,
        error=error,
        view=view,
        materials=catalogue.materials(),
    )


@bp.post("/proposals/<int:proposal_id>/<any(accept, reject):action>")
@requires("run_matching")
def decide(proposal_id: int, action: str):
    if action == "accept":
        question = _("Accept this proposal?")
        detail = _("An exchange is agreed between the two companies.")
    else:
        question, detail = _("Reject this proposal?"), ""
    if asked := ask_first(question, detail):
        return asked
    try:
        run_id, exchange = matching.decide(get_session(), current_user, proposal_id, action + "ed")
    except ServiceError as error:
        run = request.form.get("run", "")
        if not (run.isascii() and run.isdigit()) or not 0 < int(run) <= fields.MAX_ID:
            raise
        run_id = int(run)
        return _run_page(run_id, error.status, error)
    if exchange is not None:
        flash(_("Exchange agreed between the two companies."))
        return redirect(url_for("market.show_exchange", exchange_id=exchange.id), code=303)
    flash(_("Proposal rejected."))
    return redirect(url_for("market.show_run", run_id=run_id), code=303)


@bp.get("/exchanges")
@login_required
def list_exchanges():
    return render(
        "market/exchanges.html",
        exchanges=exchanges.list_exchanges(get_session(), current_user),
        materials=catalogue.materials(),
    )


@bp.get("/exchanges/<int:exchange_id>")
@login_required
def show_exchange(exchange_id: int):
    return render(
        "market/exchange.html",
        view=exchanges.get_exchange(get_session(), current_user, exchange_id),
        materials=catalogue.materials(),
    )
