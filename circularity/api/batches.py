"""Batches and the custody operations: the same services the batch pages call.

Each write is a custody operation (``services.custody``) run once per Idempotency-Key
(``idempotent.run``), which also becomes the event's client event id. An operation the page
asks to confirm (``recording.ConfirmationNeeded``) is recorded only with ``confirm: true``;
without it the answer is a 409 problem showing what it would record.
"""

from urllib.parse import urlencode

from flask import request
from flask_babel import gettext as _

from circularity.api import idempotent, problems
from circularity.api.auth import caller
from circularity.api.base import PREFIX, reads, writes
from circularity.api.blueprint import bp
from circularity.api.schemas import custody as schemas
from circularity.db import get_session
from circularity.services import accounts, custody
from circularity.services.custody import access
from circularity.services.custody import reads as custody_reads
from circularity.services.custody.recording import ConfirmationNeeded

TAGS = ("batches",)


@bp.get("/batches")
@reads(schemas.BatchList, query=schemas.BatchQuery, tags=TAGS)
def list_batches(query: schemas.BatchQuery):
    """The batches this token's person may see, newest first, 50 a page.

    Staff see their company's batches (held, sent to it, or handled by it once); the park's
    roles see every batch.
    """
    session, user = get_session(), caller()
    found, total = custody_reads.list_batches(
        session, user, status=query.status or "", material=query.material or "", page=query.page
    )
    names = accounts.company_names(session)
    per_page = custody_reads.PAGE_SIZE
    following = None
    if query.page * per_page < total:
        args = {k: v for k, v in request.args.items() if k != "page"} | {"page": query.page + 1}
        following = f"{PREFIX}/batches?{urlencode(args)}"
    return schemas.BatchList(
        items=[schemas.batch_out(b, names, access.allowed_actions(user, b)) for b in found],
        page=query.page,
        per_page=per_page,
        total=total,
        next=following,
    )


@bp.get("/batches/<code>")
@reads(schemas.BatchDetail, errors=(404,), tags=TAGS)
def show_batch(code: str):
    """One batch with its history, as its page shows it.

    The code may be typed as on the label (case, spaces, dashes and look-alike letters are
    forgiven). A batch the person may not see is answered as one that does not exist (404).
    """
    session = get_session()
    page = custody_reads.batch_page(session, caller(), code)
    return schemas.batch_detail(page, accounts.company_names(session))


@bp.post("/batches")
@writes(schemas.Recorded, json=schemas.RegisterRequest, tags=TAGS)
def register(json: schemas.RegisterRequest):
    """Register a new batch held by the person's company (staff)."""

    def write(key: str):
        outcome = custody.register(
            get_session(),
            caller(),
            material=json.material,
            quantity_value=json.quantity,
            unit=json.unit,
            density=json.density,
            basis=json.basis,
            description=json.description,
            client_event_id=key,
        )
        return 201, schemas.recorded(outcome)

    return idempotent.run("register", json, write)


def _common(body: schemas.Versioned, key: str) -> dict:
    return {"client_event_id": key, "expected_version": body.version, "confirmed": body.confirm}


@bp.post("/batches/<code>/ship")
@writes(schemas.Recorded, json=schemas.ShipRequest, tags=TAGS)
def ship(code: str, json: schemas.ShipRequest):
    """Ship a held batch to another company, optionally under an agreed exchange."""

    def write(key: str):
        outcome = custody.ship(
            get_session(),
            caller(),
            code,
            destination_company_id=json.destination,
            carrier=json.carrier,
            vehicle=json.vehicle,
            distance_km=json.distance_km,
            exchange_id=json.exchange,
            **_common(json, key),
        )
        return 201, schemas.recorded(outcome)

    return idempotent.run("ship", json, write, code=code)


@bp.post("/batches/<code>/receive")
@writes(schemas.Recorded, json=schemas.ReceiveRequest, tags=TAGS)
def receive(code: str, json: schemas.ReceiveRequest):
    """Receive a batch shipped to the person's company, with the mass weighed on arrival.

    A mass other than the one sent needs a `reason`; one far from it (by more than a fifth)
    needs `confirm: true` as well.
    """

    def write(key: str):
        outcome = custody.receive(
            get_session(),
            caller(),
            code,
            quantity_value=json.quantity,
            unit=json.unit,
            density=json.density,
            reason=json.reason,
            **_common(json, key),
        )
        return 201, schemas.recorded(outcome)

    return idempotent.run("receive", json, write, code=code)


@bp.post("/batches/<code>/correct")
@writes(schemas.Recorded, json=schemas.CorrectRequest, tags=TAGS)
def correct(code: str, json: schemas.CorrectRequest):
    """Correct the mass the batch's latest registration, receipt or correction recorded."""

    def write(key: str):
        outcome = custody.correct(
            get_session(),
            caller(),
            code,
            quantity_value=json.quantity,
            unit=json.unit,
            density=json.density,
            reason=json.reason,
            basis=json.basis,
            **_common(json, key),
        )
        return 201, schemas.recorded(outcome)

    return idempotent.run("correct", json, write, code=code)


@bp.post("/batches/<code>/split")
@writes(schemas.Recorded, json=schemas.SplitRequest, tags=TAGS)
def split(code: str, json: schemas.SplitRequest):
    """Take parts out of a batch into new batches; what is left stays in it."""

    def write(key: str):
        parts = [(part.quantity, part.unit) for part in json.parts]
        outcome = custody.split(get_session(), caller(), code, parts=parts, **_common(json, key))
        return 201, schemas.recorded(outcome)

    return idempotent.run("split", json, write, code=code)


@bp.post("/batches/<code>/merge")
@writes(schemas.Recorded, json=schemas.MergeRequest, tags=TAGS)
def merge(code: str, json: schemas.MergeRequest):
    """Merge held batches of one material into a new batch; the inputs are consumed."""

    def write(key: str):
        outcome = custody.merge(
            get_session(),
            caller(),
            [code, *json.batches],
            client_event_id=key,
            confirmed=json.confirm,
        )
        return 201, schemas.recorded(outcome)

    return idempotent.run("merge", json, write, code=code)


@bp.post("/batches/<code>/close")
@writes(schemas.Recorded, json=schemas.CloseRequest, tags=TAGS)
def close(code: str, json: schemas.CloseRequest):
    """Close a batch with a recovery (R) or disposal (D) operation and what it produced."""

    def write(key: str):
        outputs = [(o.material, o.quantity, o.unit, o.basis) for o in json.outputs]
        outcome = custody.close(
            get_session(),
            caller(),
            code,
            operation=json.operation,
            outputs=outputs,
            **_common(json, key),
        )
        return 201, schemas.recorded(outcome)

    return idempotent.run("close", json, write, code=code)


@bp.errorhandler(ConfirmationNeeded)
def _confirm_first(needed: ConfirmationNeeded):
    """409: what the operation would record, as the page shows it before asking; nothing was
    recorded. The same request with ``confirm: true`` records it."""
    code = access.normalise_code((request.view_args or {}).get("code", ""))
    shown = custody_reads.confirmation(get_session(), needed, code)
    detail = _("Nothing was recorded yet. Check what this would record; send it again with "
               "confirm true to record it.")  # fmt: skip
    if shown.warning:
        detail = f"{shown.warning} {detail}"
    preview = {
        "event": needed.payload,
        "ledger": [
            {"batch": batch or None, "role": role, "mass_delta_g": grams}
            for batch, role, grams in shown.changes
        ],
        "warning": shown.warning,
    }
    found = problems.problem(
        409, detail, "confirm", type=problems.CONFIRMATION_NEEDED, preview=preview
    )
    return problems.response(found)
