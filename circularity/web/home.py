"""The start page: what is arriving and what the person's company holds, or every batch."""

from flask import Blueprint, request
from flask_login import current_user, login_required

from circularity.db import get_session
from circularity.models import BATCH_STATUSES
from circularity.services import accounts, fields
from circularity.services.custody import reads
from circularity.services.errors import ServiceError
from circularity.web.rendering import render

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    session = get_session()
    status = request.args.get("status", "")
    status = status if status in BATCH_STATUSES else ""
    material = request.args.get("material", "").strip()
    page = fields.record_id(request.args.get("page") or "1", "page")
    error, code = None, 200
    try:
        batches, total = reads.list_batches(
            session, current_user, status=status, material=material, page=page
        )
    except ServiceError as exc:
        (batches, total), error, code = ([], 0), exc, exc.status
    return render(
        "home.html",
        status=code,
        partial="_batch_table.html",
        error=error,
        batches=batches,
        total=total,
        page=page,
        page_size=reads.PAGE_SIZE,
        status_filter=status,
        material=material,
        statuses=BATCH_STATUSES,
        inbound=reads.inbound(session, current_user),
        names=accounts.company_names(session),
    )
