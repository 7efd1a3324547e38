"""Administration: companies and accounts (admins), and the chain check (management too)."""

import json

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from circularity.db import get_session
from circularity.roles import ROLES, requires
from circularity.services import accounts
from circularity.services.custody import checkpoints, epcis, locations
from circularity.services.errors import ServiceError
from circularity.web.confirm import ask_first
from circularity.web.rendering import render

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _page(status: int = 200, error: ServiceError | None = None, form_name: str | None = None):
    return render(
        "admin/index.html",
        status=status,
        error=error,
        form_name=form_name,
        form=request.form if error else {},
        page=accounts.directory(get_session()),
        roles=ROLES,
        company_kinds=company_kinds(),
    )


def company_kinds() -> dict[str, str]:
    """COMPANY_KINDS as people read them, in the page's language."""
    return {
        "producer": _("Producer"),
        "recycler": _("Recycler"),
        "waste_management": _("Waste management (landfill, incineration)"),
    }


@bp.get("/")
@requires("admin")
def index():
    return _page()


@bp.post("/companies")
@requires("admin")
def create_company():
    form = request.form
    try:
        company = accounts.create_company(
            get_session(),
            name=form.get("name"),
            sector=form.get("sector"),
            lat=form.get("lat"),
            lon=form.get("lon"),
            address=form.get("address", ""),
            kind=form.get("kind", "producer"),
        )
    except ServiceError as error:
        return _page(error.status, error, "company")
    flash(_("Company %(name)s added.", name=company.name))
    return redirect(url_for("admin.index"), code=303)


@bp.post("/companies/<int:company_id>/gln")
@requires("admin")
def set_gln(company_id: int):
    """Give a company its GS1 Global Location Number, which names its site in EPCIS."""
    try:
        company = locations.set_company_gln(get_session(), company_id, request.form.get("gln"))
    except ServiceError as error:
        return _page(error.status, error, f"gln-{company_id}")
    if company.gln:
        flash(_("%(name)s has the GLN %(gln)s.", name=company.name, gln=company.gln))
    else:
        flash(_("%(name)s has no GLN now.", name=company.name))
    return redirect(url_for("admin.index"), code=303)


@bp.post("/users")
@requires("admin")
def create_user():
    form = request.form
    try:
        user = accounts.create_user(
            get_session(),
            email=form.get("email"),
            name=form.get("name"),
            password=form.get("password"),
            role=form.get("role"),
            company_id=form.get("company") or None,
        )
    except ServiceError as error:
        return _page(error.status, error, "user")
    flash(_("Account %(email)s created.", email=user.email))
    return redirect(url_for("admin.index"), code=303)


@bp.post("/users/<int:user_id>/active")
@requires("admin")
def set_active(user_id: int):
    if request.form.get("active") != "1":
        question = _("Disable this account?")
        detail = _("The person can no longer log in, and is logged out everywhere.")
        if asked := ask_first(question, detail, url_for("admin.index")):
            return asked
    try:
        accounts.set_active(get_session(), user_id, request.form.get("active") == "1", current_user)
    except ServiceError as error:
        return _page(error.status, error, "users")
    return redirect(url_for("admin.index"), code=303)


@bp.post("/users/<int:user_id>/sessions")
@requires("admin")
def end_sessions(user_id: int):
    """Log a person out on every device (a lost phone, a leaving employee)."""
    try:
        user = accounts.end_sessions(get_session(), user_id)
    except ServiceError as error:
        return _page(error.status, error, "users")
    flash(_("%(email)s is logged out on every device.", email=user.email))
    return redirect(url_for("admin.index"), code=303)


@bp.get("/chain")
@requires("check_chain")
def verify_chain():
    """Checks every event's hash and every batch row; read-only, so it may be a GET."""
    return render("admin/chain.html", page=checkpoints.status(get_session()))


@bp.get("/epcis.json")
@requires("check_chain")
def epcis_export():
    """The event log as EPCIS 2.0 JSON-LD (docs/epcis.md); ``since`` exports only the later
    events. The same document as ``circularity epcis``."""
    session = get_session()
    document = epcis.export(session, epcis.parse_since(request.args.get("since")))
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1),
        mimetype="application/ld+json",
        headers={"Content-Disposition": 'attachment; filename="epcis-events.jsonld"'},
    )
