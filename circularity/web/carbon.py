"""The district carbon balance for park management: factor sets, the credit ledger, the balance.

GETs compute and show; every change (an import, a booking, a recalculation, an inventory
figure) is a POST that answers with a redirect, or with the page and its errors (a rejected
file answers 422 with its report row by row).
"""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from circularity.config import setting
from circularity.db import get_session
from circularity.display import display_name
from circularity.models import INVENTORY_AREAS
from circularity.roles import requires
from circularity.services import catalogue, fields
from circularity.services.carbon import activity, balance, credits, factors, pages
from circularity.services.errors import ServiceError
from circularity.web.confirm import ask_first
from circularity.web.rendering import render

bp = Blueprint("carbon", __name__, url_prefix="/carbon")


def _file() -> bytes:
    upload = request.files.get("file")
    return upload.read() if upload else b""


def _balance_page(status: int = 200, error: ServiceError | None = None, form_name=None):
    return render(
        "carbon/balance.html",
        status=status,
        error=error,
        form_name=form_name,
        form=request.form if error else {},
        page=pages.balance_page(get_session()),
        areas=INVENTORY_AREAS,
        per_person=f"{balance.MAX_T_PER_PERSON_YEAR:g}",
        grids=activity.grid_factors().values(),
        fuel_rows=FUEL_ROWS,
        inputs_of=activity.recorded_inputs,
    )


@bp.get("/")
@requires("carbon")
def index():
    """The balance per year and month, with the path to neutrality and the gap."""
    return _balance_page()


@bp.post("/inventory")
@requires("carbon")
def record_inventory():
    form = request.form
    try:
        balance.record_inventory(
            get_session(),
            current_user,
            area=form.get("area"),
            year=form.get("year"),
            month=form.get("month"),
            tco2e=form.get("tco2e"),
            source=form.get("source", ""),
            confirmed=form.get("confirmed") == "yes",
        )
    except ServiceError as error:
        return _balance_page(error.status, error, "inventory")
    flash(_("Inventory figure recorded."))
    return redirect(url_for("carbon.index"), code=303)


#: Fuel lines the activity form shows; empty ones are left out.
FUEL_ROWS = 3
FUEL_FIELDS = ("what", "amount", "unit", "factor", "source")


def _activity_inputs(form) -> list[activity.Input]:
    """Electricity if an amount was typed, and every fuel line with anything in it."""
    inputs = []
    if (form.get("electricity_mwh") or "").strip():
        inputs.append(activity.electricity(form.get("electricity_mwh"), form.get("grid")))
    columns = [form.getlist(f"fuel_{name}")[:FUEL_ROWS] for name in FUEL_FIELDS]
    for row, values in enumerate(zip(*columns, strict=False)):
        if any((v or "").strip() for v in values):
            inputs.append(activity.fuel(*values, row=row))
    return inputs


@bp.post("/inventory/activity")
@requires("carbon")
def record_activity():
    """A figure computed from activity data: electricity times a grid factor, fuels times
    the factors the person cites."""
    form = request.form
    try:
        activity.record(
            get_session(),
            current_user,
            area=form.get("area"),
            year=form.get("year"),
            month=form.get("month"),
            inputs=_activity_inputs(form),
            source=form.get("source", ""),
            confirmed=form.get("confirmed") == "yes",
        )
    except ServiceError as error:
        return _balance_page(error.status, error, "activity")
    flash(_("Inventory figure recorded from its activity data."))
    return redirect(url_for("carbon.index"), code=303)


@bp.post("/inventory/import")
@requires("carbon")
def import_inventory():
    try:
        count = balance.import_inventory(
            get_session(),
            current_user,
            _file(),
            confirmed=request.form.get("confirmed") == "yes",
        )
    except ServiceError as error:
        return _balance_page(error.status, error, "import")
    flash(_("%(n)d inventory figures imported.", n=count))
    return redirect(url_for("carbon.index"), code=303)


def _sets_page(status: int = 200, error: ServiceError | None = None):
    return render(
        "carbon/factor_sets.html",
        status=status,
        error=error,
        form=request.form if error else {},
        sets=factors.all_sets(get_session()),
    )


@bp.get("/factors")
@requires("carbon")
def factor_sets():
    return _sets_page()


@bp.post("/factors")
@requires("carbon")
def import_factor_set():
    form = request.form
    try:
        library = factors.import_set(
            get_session(),
            current_user,
            key=form.get("key"),
            name=form.get("name"),
            edition=form.get("edition"),
            source=form.get("source"),
            licence=form.get("licence"),
            base=form.get("base", ""),
            data=_file(),
            confirmed=form.get("confirmed") == "yes",
        )
    except ServiceError as error:
        return _sets_page(error.status, error)
    flash(_("Factor set %(key)s imported.", key=library.key))
    return redirect(url_for("carbon.factor_set", key=library.key), code=303)


@bp.get("/factors/<key>")
@requires("carbon")
def factor_set(key: str):
    return render("carbon/factor_set.html", page=pages.factor_set_page(get_session(), key))


@bp.get("/mapping")
@requires("carbon")
def mapping():
    """The reviewed List-of-Waste -> material table and each material's baseline and s."""
    return render(
        "carbon/mapping.html",
        codes=factors.mapped_codes(),
        settings=factors.material_settings(),
        materials=catalogue.materials(),
    )


@bp.get("/credits")
@requires("carbon")
def ledger():
    """The booked ledger, the batches waiting and the runs, a page of each; never assesses."""
    numbers = {
        name: fields.page_number(request.args.get(name), name)
        for name in ("page", "waiting_page", "runs_page")
    }
    return render(
        "carbon/credits.html",
        page=pages.ledger_page(get_session(), **numbers),
        default_set=setting("CARBON_FACTOR_SET"),
    )


@bp.get("/credits/companies")
@requires("carbon")
def attribution():
    """The current credits beside each company that took part in them, for display only."""
    return render("carbon/attribution.html", page=pages.attribution_page(get_session()))


@bp.get("/credits/<int:credit_id>")
@requires("carbon")
def credit(credit_id: int):
    return render("carbon/credit.html", page=pages.credit_page(get_session(), credit_id))


@bp.post("/credits/book")
@requires("carbon")
def book():
    detail = _("Each closed batch not yet credited gets its ledger entry, booked for good.")
    if asked := ask_first(_("Book credits?"), detail, url_for("carbon.ledger")):
        return asked
    try:
        booking = credits.book(get_session(), current_user)
    except ServiceError as error:
        flash(error.message)
        return redirect(url_for("carbon.ledger"), code=303)
    run = booking.run
    flash(_("%(n)s credits booked.", n=format_number(run.entries if run else 0)))
    if booking.refused:
        why = "; ".join(
            f"{display_name(reason, 'credit_reason')}: {format_number(n)}"
            for reason, n in booking.refused.items()
        )
        flash(_("Batches that cannot be credited, by reason: %(why)s.", why=why))
    return redirect(url_for("carbon.ledger"), code=303)


@bp.post("/credits/recalculate")
@requires("carbon")
def recalculate():
    detail = _(
        "Every current credit gets a new entry with %(set)s; the earlier entries stay in the "
        "ledger, superseded.",
        set=request.form.get("factor_set", ""),
    )
    if asked := ask_first(_("Recalculate every credit?"), detail, url_for("carbon.ledger")):
        return asked
    try:
        result = credits.recalculate(
            get_session(),
            current_user,
            request.form.get("factor_set", ""),
            request.form.get("note", ""),
        )
    except ServiceError as error:
        flash(error.message)
        return redirect(url_for("carbon.ledger"), code=303)
    run = result.run
    flash(
        _("%(n)d credits recalculated; the earlier entries are kept.", n=run.entries if run else 0)
    )
    if result.kept:
        reasons = sorted({r for a in result.kept for r in a.reasons})
        flash(
            _(
                "%(n)d credits could not be priced with this set (%(why)s): they keep their "
                "earlier entry and set, so the ledger now shows more than one set.",
                n=len(result.kept),
                why=", ".join(reasons),
            )
        )
    return redirect(url_for("carbon.ledger"), code=303)
