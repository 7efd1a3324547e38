"""The account page where a person makes and revokes API tokens for their systems.

A page, not part of the API: it is the logged-in person's (session and CSRF token, as every
page), and a token can only be made here, so a token never makes another. The secret is shown
once, on the answer to the form that made it, and never again.
"""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from circularity.db import get_session
from circularity.services import api_tokens
from circularity.services.errors import ServiceError
from circularity.web.confirm import ask_first
from circularity.web.rendering import render

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


def _page(status: int = 200, error: ServiceError | None = None, made=None):
    return render(
        "auth/tokens.html",
        status=status,
        error=error,
        made=made,
        form=request.form if error else {},
        tokens=api_tokens.tokens(get_session(), current_user),
        limit=api_tokens.MAX_TOKENS,
    )


@bp.get("/")
@login_required
def index():
    return _page()


@bp.post("/")
@login_required
def create():
    """Make a token and show its secret, this once."""
    try:
        made = api_tokens.create(
            get_session(),
            current_user,
            name=request.form.get("name", ""),
            access=request.form.get("scopes", ""),
        )
    except ServiceError as error:
        return _page(error.status, error)
    return _page(201, made=made)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    question = _("Revoke this token?")
    detail = _("Every system that uses it is refused from its next request on.")
    if asked := ask_first(question, detail, url_for("tokens.index")):
        return asked
    try:
        api_tokens.revoke(get_session(), current_user, token_id)
    except ServiceError as error:
        return _page(error.status, error)
    flash(_("Token revoked."))
    return redirect(url_for("tokens.index"), code=303)
