"""Who may see and act on which batch: the rules every view and service shares."""

import re

from sqlalchemy import ColumnElement, Row, bindparam, exists, or_
from sqlmodel import Session, select

from circularity.db import rows
from circularity.display import display_name
from circularity.models import Batch, Event, EventBatch, User
from circularity.roles import can
from circularity.services.errors import Conflict, Forbidden, NotFound

# Crockford's base32 leaves out I, L, O and U so that a typed code survives misreading.
_TYPO = str.maketrans({"I": "1", "L": "1", "O": "0"})
CODE_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def normalise_code(text: str) -> str:
    """A label code as typed or scanned: case, spaces, dashes and look-alikes forgiven.

    A full label URL is accepted as well, so a scanned or pasted URL works in the code box.
    """
    text = (text or "").strip()
    if "/b/" in text:
        text = text.rsplit("/b/", 1)[1]
    return re.sub(r"[\s-]", "", text).upper().translate(_TYPO)


def visible_batches(user: User) -> ColumnElement[bool] | bool:
    """A filter on Batch: what this person may see."""
    if can(user, "see_all_batches"):
        return True
    handled = exists().where(
        EventBatch.batch_id == Batch.id,
        EventBatch.event_id == Event.id,
        Event.company_id == user.company_id,
    )
    return or_(
        Batch.company_id == user.company_id,
        Batch.destination_company_id == user.company_id,
        handled,
    )


# Built once: a batch page and a scan ask these on every request, and building a statement
# costs more than SQLite takes to answer it.
_BY_CODE = select(Batch).where(Batch.code == bindparam("code"))
_BY_CODE_LOCKED = _BY_CODE.with_for_update(of=Batch)
_HANDLED_BY = (
    select(EventBatch.id)
    .join(Event, Event.id == EventBatch.event_id)
    .where(EventBatch.batch_id == bindparam("batch_id"), Event.company_id == bindparam("company"))
    .limit(1)
)


def may_see(session: Session, user: User, batch: Batch) -> bool:
    """``visible_batches`` for one batch already loaded: the cheap cases first, and the
    question of past handling only for a batch neither held by nor sent to the company."""
    if can(user, "see_all_batches"):
        return True
    if user.company_id is None:
        return False
    if user.company_id in (batch.company_id, batch.destination_company_id):
        return True
    params = {"batch_id": batch.id, "company": user.company_id}
    return rows(session, _HANDLED_BY, params).first() is not None


def get_batch(session: Session, user: User, code: str, lock: bool = False) -> Batch:
    """The batch with this label code, if the person may see it.

    Raises NotFound for an unknown code and for a batch the person may not see, so that
    codes of other companies' batches cannot be probed. ``lock`` takes a row lock
    (PostgreSQL) for the rest of the write transaction.
    """
    query = _BY_CODE_LOCKED if lock else _BY_CODE
    return _visible(session, user, code, lambda c: session.exec(query, params={"code": c}))


def view_batch(session: Session, user: User, code: str) -> Row:
    """``get_batch`` for a page that only shows the batch: its row, not an ORM object
    (db.rows), under the same rules and with the same errors."""
    return _visible(session, user, code, lambda c: rows(session, _BY_CODE, {"code": c}))


def _visible(session: Session, user: User, code: str, fetch):
    code = normalise_code(code)
    if not CODE_PATTERN.match(code):
        raise NotFound("No batch has this code.", "code")
    batch = fetch(code).first()
    if batch is None or not may_see(session, user, batch):
        raise NotFound("No batch has this code.", "code")
    return batch


def allowed_actions(user: User, batch: Batch) -> list[str]:
    """The actions this person may take on this batch now, in the order the page shows them."""
    if not can(user, "handle_batches") or user.company_id is None:
        return []
    if batch.status == "in_transit":
        return ["receive"] if batch.destination_company_id == user.company_id else []
    if batch.status == "held" and batch.company_id == user.company_id:
        return ["ship", "split", "merge", "close", "correct"]
    return []


def require_action(
    user: User, batch: Batch, action: str, expected_version: str | int | None = None
) -> None:
    """Raise unless ``user`` may take ``action`` on ``batch`` as the page showed it."""
    if expected_version not in (None, ""):
        try:
            version = int(expected_version)
        except ValueError:
            version = -1
        if version != batch.version:
            raise Conflict(
                "This batch changed since you opened it (someone else acted on it). "
                "Look at its current state and try again.",
                "version",
            )
    if action in allowed_actions(user, batch):
        return
    if can(user, "handle_batches") and batch.status in ("closed", "consumed"):
        raise Conflict(
            "This batch is %(status)s; nothing more can be done with it.",
            status=display_name(batch.status, "status"),
        )
    if can(user, "handle_batches") and batch.status == "in_transit" and action != "receive":
        raise Conflict("This batch is in transit; only the receiving company can act on it.")
    raise Forbidden("Only staff of the company that holds this batch can do this.")
