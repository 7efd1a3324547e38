"""Scanning: the camera page, and typed entry of a code as the fallback."""

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from circularity.db import get_session
from circularity.services.custody import access
from circularity.services.errors import ServiceError
from circularity.web.rendering import render

bp = Blueprint("scan", __name__)


@bp.get("/scan")
@login_required
def index():
    typed = request.args.get("code", "")
    if not typed.strip():
        return render("scan/scan.html", code="")
    try:
        batch = access.view_batch(get_session(), current_user, typed)
    except ServiceError:
        return render(
            "scan/scan.html",
            status=404,
            code=typed,
            error=_("No batch you can see has this code. Check it and try again."),
        )
    return redirect(url_for("batches.show", code=batch.code))
