"""Read-only questions the pages ask: lists of batches, a batch's history, label data."""

import json
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import bindparam
from sqlmodel import Session, func, select

from circularity.config import setting
from circularity.db import rows
from circularity.models import Batch, Company, Event, EventBatch, User
from circularity.services import accounts, catalogue
from circularity.services.custody import access
from circularity.services.custody.labels import LabelData, label_url

PAGE_SIZE = 50


@dataclass
class HistoryEntry:
    # The event's row (db.rows), its columns by name: from history() the few a page needs
    # to know the event's line by, from events_by_id() every column, to render that line.
    event: Event
    role: str
    delta_g: int
    company: str
    user: str

    @cached_property
    def payload(self) -> dict:
        """The EPCIS event as recorded; parsed only when a page shows its details."""
        return json.loads(self.event.payload)


def list_batches(
    session: Session, user: User, *, status: str = "", material: str = "", page: int = 1
) -> tuple[list[Batch], int]:
    """Batches this person may see, newest first, with the total count for paging."""
    query = select(Batch).where(access.visible_batches(user))
    if status:
        query = query.where(Batch.status == status)
    if material:
        query = query.where(Batch.material_code == material.replace(" ", "").rstrip("*"))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(Batch.created_at.desc(), Batch.id.desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(rows), total


def inbound(session: Session, user: User) -> list[Batch]:
    """Batches on their way to this person's company."""
    if user.company_id is None:
        return []
    return list(
        session.exec(
            select(Batch)
            .where(Batch.destination_company_id == user.company_id, Batch.status == "in_transit")
            .order_by(Batch.created_at.desc())
        ).all()
    )


# The batch page's statements, built once: it is the page a scan opens, and building a
# statement costs more than SQLite takes to answer it.
_HISTORY = (
    select(
        Event.id,
        Event.seq,
        Event.hash,
        Event.operation,
        Event.destination_company_id,
        EventBatch.role,
        EventBatch.mass_delta_g,
        Company.name.label("company_name"),
        User.name.label("user_name"),
    )
    .join(EventBatch, EventBatch.event_id == Event.id)
    .join(Company, Company.id == Event.company_id)
    .join(User, User.id == Event.user_id)
    .where(EventBatch.batch_id == bindparam("batch_id"))
    .order_by(Event.seq)
)
_RELATED = (
    select(EventBatch.event_id, Batch.code)
    .join(Batch, Batch.id == EventBatch.batch_id)
    .where(
        EventBatch.event_id.in_(bindparam("event_ids", expanding=True)),
        Batch.id != bindparam("exclude"),
    )
    .order_by(EventBatch.id)
)


_EVENTS_BY_ID = select(*Event.__table__.columns).where(
    Event.id.in_(bindparam("ids", expanding=True))
)


def history(session: Session, batch: Batch) -> list[HistoryEntry]:
    """Every event that touched the batch, oldest first, each as the row a page knows its
    line by (id, sequence number, hash, operation, destination) without the recorded event.

    A page renders an event's line once and keeps it (web/history.py), so reading every
    event's payload and times on every view made a long history's page cost grow with its
    length for nothing; events_by_id reads them for the lines still to be rendered.
    """
    return [
        HistoryEntry(row, row.role, row.mass_delta_g, row.company_name, row.user_name)
        for row in rows(session, _HISTORY, {"batch_id": batch.id})
    ]


def events_by_id(session: Session, ids: list[int]) -> dict:
    """Whole event rows (db.rows) by id."""
    return {row.id: row for row in rows(session, _EVENTS_BY_ID, {"ids": list(ids)})}


def related(session: Session, entries: list[HistoryEntry], exclude: int) -> dict[int, list]:
    """Codes of the other batches in the same events (split parts, merge inputs, treatment
    outputs), as rows with ``code``.

    Only transformations touch more than one batch; an object event's single ledger row has
    the role "object", so a history of shipments and receipts needs no query at all.
    """
    event_ids = [e.event.id for e in entries if e.role != "object"]
    if not event_ids:
        return {}
    out: dict[int, list] = {}
    for row in rows(session, _RELATED, {"event_ids": event_ids, "exclude": exclude}):
        out.setdefault(row.event_id, []).append(row)
    return out


def label_data(session: Session, user: User, codes: list[str]) -> list[LabelData]:
    """Labels for the chosen batches, in the order given; unknown or unseen codes raise."""
    names = accounts.company_names(session)
    base = setting("BASE_URL")
    labels = []
    for code in codes:
        batch = access.get_batch(session, user, code)
        labels.append(
            LabelData(
                code=batch.code,
                url=label_url(base, batch.code),
                material=catalogue.get_material(batch.material_code),
                company=names.get(batch.company_id, ""),
            )
        )
    return labels


def held_batches_like(session: Session, user: User, batch: Batch) -> list[Batch]:
    """Other batches of the same material this company holds: what a merge can combine."""
    return list(
        session.exec(
            select(Batch)
            .where(Batch.company_id == batch.company_id, Batch.status == "held")
            .where(Batch.material_code == batch.material_code, Batch.id != batch.id)
            .order_by(Batch.created_at.desc())
            .limit(200)
        ).all()
    )
