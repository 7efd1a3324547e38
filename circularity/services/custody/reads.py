"""Read-only questions the pages ask: lists of batches, a batch's page, label data."""

import json
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, func, select

from circularity.config import setting
from circularity.db import rows
from circularity.models import Batch, Company, Event, EventBatch, User
from circularity.services import accounts, catalogue, fields
from circularity.services.custody import access
from circularity.services.custody.labels import LabelData, label_url
from circularity.services.custody.recording import ConfirmationNeeded
from circularity.services.market import exchanges

PAGE_SIZE = 50
MATERIAL_FILTER_LIMIT = 20  # a code is six digits and a star; room for spaces


def list_batches(
    session: Session, user: User, *, status: str = "", material: str = "", page: int = 1
) -> tuple[list[Batch], int]:
    """Batches this person may see, newest first, with the total count for paging.

    ``material`` is a List-of-Waste code as typed, spaces and a trailing ``*`` allowed; text
    that no code could be (too long, control characters) is refused rather than searched.
    """
    query = select(Batch).where(access.visible_batches(user))
    if status:
        query = query.where(Batch.status == status)
    material = fields.optional_text(material, "material", MATERIAL_FILTER_LIMIT)
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


@dataclass
class HistoryLine:
    """One event of a batch's history, with what its line on the page names."""

    event: Event  # the event's row (db.rows): its columns by name
    payload: dict  # the EPCIS event as recorded
    role: str  # the batch's part in the event: object, input or output
    delta_g: int  # the batch's mass change
    company: str  # who recorded it
    user: str
    destination: str | None  # the company a shipment went to
    others: list[str]  # codes of the other batches in a transformation


@dataclass
class BatchPage:
    """Everything a batch's page shows, for this person."""

    batch: Batch  # the batch's row (db.rows)
    material: catalogue.Material
    holder: str
    destination: str | None  # while in transit
    treated_g: int | None  # the mass its closing treated
    actions: list[str]  # what this person may do with it now, in order
    history: list[HistoryLine]  # oldest first


@dataclass
class FormChoices:
    """What the forms of some actions offer: only the lists those forms show are read."""

    companies: list  # the active ones by name, destinations of a shipment: rows of id, name
    exchanges: list[exchanges.ExchangeView]
    mergeable: list[Batch]


# The batch page's statements, built once: it is the page a scan opens.
_HISTORY = (
    select(
        *Event.__table__.columns,
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
_DESTINATIONS = select(Company.id, Company.name).where(Company.active).order_by(Company.name)


def batch_page(session: Session, user: User, code: str) -> BatchPage:
    """The page of the batch with this label code; raises NotFound as ``access.get_batch``."""
    batch = access.view_batch(session, user, code)
    names = accounts.company_names(session)
    events = list(rows(session, _HISTORY, {"batch_id": batch.id}))
    others = _related(session, [e.id for e in events if e.role != "object"], batch.id)
    history = [
        HistoryLine(
            event=event,
            payload=json.loads(event.payload),
            role=event.role,
            delta_g=event.mass_delta_g,
            company=event.company_name,
            user=event.user_name,
            destination=names.get(event.destination_company_id),
            others=others.get(event.id, []),
        )
        for event in events
    ]
    closing = next((line for line in history if line.event.operation == "close"), None)
    return BatchPage(
        batch=batch,
        material=catalogue.get_material(batch.material_code),
        holder=names[batch.company_id],
        destination=names.get(batch.destination_company_id),
        treated_g=-closing.delta_g if closing else None,
        actions=access.allowed_actions(user, batch),
        history=history,
    )


def _related(session: Session, event_ids: list[int], exclude: int) -> dict[int, list[str]]:
    """Codes of the other batches in these events (split parts, merge inputs, treatment
    outputs). Only transformations touch more than one batch: an object event's single
    ledger row has the role "object", so a history of shipments needs no query at all."""
    if not event_ids:
        return {}
    out: dict[int, list[str]] = {}
    for row in rows(session, _RELATED, {"event_ids": event_ids, "exclude": exclude}):
        out.setdefault(row.event_id, []).append(row.code)
    return out


def form_choices(session: Session, user: User, batch: Batch, actions: list[str]) -> FormChoices:
    """The destinations and open exchanges of a ship form and the batches a merge form can
    combine, each only if ``actions`` has that form."""
    return FormChoices(
        companies=list(rows(session, _DESTINATIONS)) if "ship" in actions else [],
        exchanges=exchanges.open_for_shipment(session, batch) if "ship" in actions else [],
        mergeable=held_batches_like(session, user, batch) if "merge" in actions else [],
    )


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


@dataclass
class Confirmation:
    """What an operation asked to be confirmed would record, as the batch page will show it."""

    line: HistoryLine  # the event's line in the batch's history
    changes: list[tuple[str, str, int]]  # (batch code, or "" for a batch it creates, role, g)
    warning: str | None


def confirmation(session: Session, needed: ConfirmationNeeded, code: str) -> Confirmation:
    """The page's view of ``needed`` for the batch ``code`` the person acts on. The event
    was rolled back: batches it would create have no code yet."""
    names = accounts.company_names(session)
    existing = set(
        session.exec(
            select(Batch.code).where(Batch.code.in_([c for c, _, _ in needed.ledger]))
        ).all()
    )
    own = next((entry for entry in needed.ledger if entry[0] == code), needed.ledger[0])
    event = needed.event
    line = HistoryLine(
        event=event,
        payload=needed.payload,
        role=own[1],
        delta_g=own[2],
        company=names.get(event.company_id, ""),
        user=session.get(User, event.user_id).name,
        destination=names.get(event.destination_company_id),
        others=[],
    )
    changes = [(c if c in existing else "", role, grams) for c, role, grams in needed.ledger]
    return Confirmation(line=line, changes=changes, warning=needed.warning)
