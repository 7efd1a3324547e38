"""Batch pages: register, the permanent label URL, the actions, labels.

Every action form carries a fresh client event id and the batch version it was rendered
with: a retried submission is recorded once, a stale one is refused with a clear message.
"""

import uuid

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from circularity.db import get_session
from circularity.roles import requires
from circularity.services import accounts, catalogue, custody
from circularity.services.custody import access, labels, reads
from circularity.services.custody.recording import ConfirmationNeeded
from circularity.services.errors import ServiceError
from circularity.services.quantities import UNITS
from circularity.web.rendering import render

bp = Blueprint("batches", __name__)


def new_client_id() -> str:
    return uuid.uuid4().hex


@bp.get("/batches/new")
@requires("handle_batches")
def new():
    return _register_page()


def _register_page(status: int = 200, error: ServiceError | None = None):
    return render(
        "batches/new.html",
        status=status,
        error=error,
        form=request.form,
        # A fresh id even after an error: nothing was recorded under the one sent.
        client_event_id=new_client_id(),
        materials=catalogue.materials(),
        units=UNITS,
    )


@bp.post("/batches")
@requires("handle_batches")
def create():
    form = request.form
    try:
        outcome = custody.register(
            get_session(),
            current_user,
            material=form.get("material", ""),
            quantity_value=form.get("quantity"),
            unit=form.get("unit", ""),
            density=form.get("density"),
            basis=form.get("basis", ""),
            description=form.get("description", ""),
            client_event_id=form.get("client_event_id", ""),
        )
    except ServiceError as error:
        return _register_page(error.status, error)
    flash(_("Batch registered. Print its label and stick it on the batch."))
    return redirect(url_for("batches.show", code=outcome.primary_code), code=303)


@bp.get("/b/<code>")
@login_required
def show(code: str):
    """The permanent label URL: a scan with any camera app lands here."""
    canonical = access.normalise_code(code)
    if canonical != code:
        return redirect(url_for("batches.show", code=canonical))
    return _batch_page(code)


def _batch_page(code: str, status: int = 200, error: ServiceError | None = None, action=None):
    session = get_session()
    page = reads.batch_page(session, current_user, code)
    # Forms load when their section opens (_action.html); only the receipt and a form just
    # sent with an error are on the page itself, with what they need.
    inline = [a for a in page.actions if a == "receive" or a == action]
    return render(
        "batches/show.html",
        status=status,
        page=page,
        batch=page.batch,
        error=error,
        failed_action=action,
        inline_actions=inline,
        form=request.form if error else {},
        **_form_context(session, page.batch, inline),
    )


ACTION_TITLES = {
    "ship": _l("Ship to another company"),
    "receive": _l("Receive"),
    "split": _l("Split into parts"),
    "merge": _l("Merge with other batches of this material"),
    "close": _l("Close with a treatment"),
    "correct": _l("Correct the recorded mass"),
}


def _form_context(session, batch, actions: list[str]) -> dict:
    """What the forms of ``actions`` show: a fresh client event id, and the lists of the
    forms that have them (reads.form_choices)."""
    choices = reads.form_choices(session, current_user, batch, actions)
    return {
        "action_titles": ACTION_TITLES,
        "client_event_id": new_client_id(),
        "companies": choices.companies,
        "exchanges": choices.exchanges,
        "mergeable": choices.mergeable,
        "operations": catalogue.OPERATIONS,
        "units": UNITS,
    }


@bp.get("/b/<code>/<any(ship, receive, correct, split, merge, close):action>")
@login_required
def action_form(code: str, action: str):
    """One action's form: the fragment a batch page's section loads when it opens, or a
    page of its own. Refused like the action itself if this person may not take it now."""
    session = get_session()
    batch = access.view_batch(session, current_user, code)
    access.require_action(current_user, batch, action)
    return render(
        "batches/action.html",
        partial=f"batches/_form_{action}.html",
        batch=batch,
        action=action,
        material=catalogue.get_material(batch.material_code),
        form={},
        failed_action=None,
        **_form_context(session, batch, [action]),
    )


def _rows(prefix: str, fields: tuple[str, ...]) -> list[tuple]:
    """Repeated form rows (parts, outputs) as tuples, from fields named prefix-N-field."""
    rows = []
    for i in range(50):
        values = tuple(request.form.get(f"{prefix}-{i}-{name}", "") for name in fields)
        if any(v.strip() for v in values[:2] if v):
            rows.append(values)
    return rows


def _perform(code: str, action: str):
    form, session, user = request.form, get_session(), current_user
    common = {
        "client_event_id": form.get("client_event_id", ""),
        "expected_version": form.get("version"),
        # Irreversible actions are recorded once the person confirmed what they will record.
        "confirmed": form.get("confirmed") == "1",
    }
    if action == "ship":
        return custody.ship(
            session,
            user,
            code,
            destination_company_id=form.get("destination"),
            carrier=form.get("carrier"),
            vehicle=form.get("vehicle"),
            distance_km=form.get("distance_km"),
            exchange_id=form.get("exchange") or None,
            **common,
        )
    if action == "receive":
        return custody.receive(
            session,
            user,
            code,
            quantity_value=form.get("quantity"),
            unit=form.get("unit", ""),
            density=form.get("density"),
            reason=form.get("reason", ""),
            **common,
        )
    if action == "correct":
        return custody.correct(
            session,
            user,
            code,
            quantity_value=form.get("quantity"),
            unit=form.get("unit", ""),
            density=form.get("density"),
            reason=form.get("reason", ""),
            basis=form.get("basis", "weighed"),
            **common,
        )
    if action == "split":
        return custody.split(
            session, user, code, parts=_rows("part", ("quantity", "unit")), **common
        )
    if action == "merge":
        return custody.merge(
            session,
            user,
            [code, *form.getlist("batches")],
            client_event_id=common["client_event_id"],
            confirmed=common["confirmed"],
        )
    return custody.close(
        session,
        user,
        code,
        operation=form.get("operation", ""),
        outputs=_rows("output", ("material", "quantity", "unit", "basis")),
        **common,
    )


MESSAGES = {
    "ship": _l("Shipped. The batch is in transit until the receiver scans it."),
    "receive": _l("Received. The batch is now held by your company."),
    "correct": _l("Correction recorded; the original entry stays in the history."),
    "split": _l("Split recorded. Print labels for the new batches."),
    "merge": _l("Merged into a new batch. Print its label."),
    "close": _l("Batch closed."),
}


@bp.post("/b/<code>/<any(ship, receive, correct, split, merge, close):action>")
@requires("handle_batches")
def act(code: str, action: str):
    try:
        outcome = _perform(code, action)
    except ConfirmationNeeded as needed:
        return _confirm_page(code, action, needed)
    except ServiceError as error:
        return _batch_page(code, status=error.status, error=error, action=action)
    flash(MESSAGES[action])
    target = outcome.batch_codes[0] if action == "merge" else access.normalise_code(code)
    return redirect(url_for("batches.show", code=target), code=303)


def _confirm_page(code: str, action: str, needed: ConfirmationNeeded):
    """What the action will record, and the form as sent, to send again confirmed."""
    session = get_session()
    return render(
        "batches/confirm.html",
        partial="batches/_confirm.html",
        action=action,
        action_titles=ACTION_TITLES,
        batch=access.view_batch(session, current_user, code),
        confirmation=reads.confirmation(session, needed, access.normalise_code(code)),
        sent=[
            (k, v)
            for k, v in request.form.items(multi=True)
            if k not in ("csrf_token", "confirmed")
        ],
    )


@bp.get("/b/<code>/label.png")
@login_required
def label_png(code: str):
    label = reads.label_data(get_session(), current_user, [code])[0]
    return Response(
        labels.png(label),
        mimetype="image/png",
        headers={"Content-Disposition": f'inline; filename="{label.code}.png"'},
    )


@bp.get("/labels")
@login_required
def labels_sheet():
    """Label sheet: with codes chosen, the PDF; without, the page to choose them."""
    codes = [c for c in request.args.getlist("code") if c.strip()]
    session = get_session()
    if not codes:
        batches, _total = reads.list_batches(session, current_user, status="held")
        return render("batches/labels.html", batches=batches, names=accounts.company_names(session))
    if len(codes) > 2000:
        raise ServiceError("Print at most 2,000 labels at a time.", "code")
    data = reads.label_data(session, current_user, codes)
    return Response(
        labels.pdf(data),
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="labels.pdf"'},
    )


MATERIAL_LISTS = {"register": "materials", "close": "close-materials"}


@bp.get("/materials/<any(register, close):form>")
@login_required
def material_options(form: str):
    """The List of Waste as a datalist, fetched when a form needs it and cached by the
    browser: the list is fixed in law and changes only with a new release."""
    response = render(
        "batches/_material_options.html",
        list_id=MATERIAL_LISTS[form],
        materials=catalogue.materials(),
    )
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
