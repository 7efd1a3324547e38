"""Batches, their history and the custody operations' requests and answers."""

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from circularity.api.schemas.common import (
    Amount,
    Body,
    CompanyRef,
    MaterialOut,
    RowId,
    company,
    material,
)
from circularity.config import setting
from circularity.models import BATCH_STATUSES
from circularity.services.custody.labels import label_url
from circularity.services.custody.operations import BASES
from circularity.services.custody.reads import BatchPage, HistoryLine
from circularity.services.custody.transform import MAX_PARTS
from circularity.services.quantities import UNITS

Unit = Literal[tuple(UNITS)]
Basis = Literal[BASES]
Action = Literal["ship", "receive", "split", "merge", "close", "correct"]
Status = Literal[BATCH_STATUSES]


class BatchOut(BaseModel):
    code: str = Field(description="The label code: 26 Crockford base32 characters")
    url: str = Field(description="The permanent label URL the QR code carries")
    material: MaterialOut
    holder: CompanyRef
    destination: CompanyRef | None = Field(description="Where it is going, while in transit")
    status: Status
    mass_g: int = Field(description="The mass now, in exact grams (0 once closed or consumed)")
    basis: Basis
    origin: Literal["registered", "split", "merge", "treatment"]
    description: str
    closing_operation: str | None = Field(description="The R or D code it was closed with")
    created_at: datetime
    version: int = Field(description="Raised by every operation; send it back as `version`")
    actions: list[Action] = Field(description="What this token's person may do with it now")


def batch_out(batch, names: dict[int, str], actions: list[str]) -> BatchOut:
    return BatchOut(
        code=batch.code,
        url=label_url(setting("BASE_URL"), batch.code),
        material=material(batch.material_code),
        holder=company(batch.company_id, names),
        destination=company(batch.destination_company_id, names),
        status=batch.status,
        mass_g=batch.mass_g,
        basis=batch.basis,
        origin=batch.origin,
        description=batch.description,
        closing_operation=batch.closing_operation,
        created_at=batch.created_at,
        version=batch.version,
        actions=actions,
    )


class BatchList(BaseModel):
    items: list[BatchOut] = Field(description="Newest first")
    page: int
    per_page: int
    total: int = Field(description="Batches matching the filters, on every page")
    next: str | None = Field(description="The next page's address, None on the last")


class HistoryEntry(BaseModel):
    seq: int = Field(description="The event's place in the park's hash chain")
    event_id: str
    operation: str
    event_type: str
    biz_step: str
    event_time: datetime
    company: str = Field(description="Who recorded it")
    user: str
    role: Literal["object", "input", "output"] = Field(description="This batch's part in it")
    mass_delta_g: int
    destination: str | None
    others: list[str] = Field(description="Codes of the other batches of a transformation")
    epcis: dict = Field(description="The EPCIS 2.0 event as recorded")


class BatchDetail(BatchOut):
    treated_g: int | None = Field(description="The mass its closing treated")
    history: list[HistoryEntry] = Field(description="Oldest first")


def history_entry(line: HistoryLine) -> HistoryEntry:
    event = line.event
    return HistoryEntry(
        seq=event.seq,
        event_id=event.event_id,
        operation=event.operation,
        event_type=event.event_type,
        biz_step=event.biz_step,
        event_time=event.event_time,
        company=line.company,
        user=line.user,
        role=line.role,
        mass_delta_g=line.delta_g,
        destination=line.destination,
        others=line.others,
        epcis=line.payload,
    )


def batch_detail(page: BatchPage, names: dict[int, str]) -> BatchDetail:
    return BatchDetail(
        **batch_out(page.batch, names, page.actions).model_dump(),
        treated_g=page.treated_g,
        history=[history_entry(line) for line in page.history],
    )


class EventOut(BaseModel):
    event_id: str
    seq: int
    operation: str
    event_type: str
    event_time: datetime
    hash: str = Field(description="SHA-256 of the event in the chain, hex")
    epcis: dict = Field(description="The EPCIS 2.0 event as recorded")


class Recorded(BaseModel):
    """What an operation recorded: one event, and the batches it touched."""

    batch: str = Field(
        description="The batch to look at next: the one acted on, or the new one of a "
        "registration or merge"
    )
    batches: list[str] = Field(description="Every batch of the event, new ones included")
    event: EventOut


def recorded(outcome) -> Recorded:
    event = outcome.event
    return Recorded(
        batch=outcome.primary_code,
        batches=outcome.batch_codes,
        event=EventOut(
            event_id=event.event_id,
            seq=event.seq,
            operation=event.operation,
            event_type=event.event_type,
            event_time=event.event_time,
            hash=event.hash,
            epcis=json.loads(event.payload),
        ),
    )


class Confirmable(Body):
    confirm: bool = Field(
        False,
        description="Irreversible operations (ship, split, merge, close, correct) and a receipt "
        "far from the mass sent are recorded only with true; without it the answer is a 409 "
        "confirmation-needed problem showing what would be recorded.",
    )


class Versioned(Confirmable):
    version: RowId | None = Field(
        None, description="The batch version you acted on: refused (409) if it changed since"
    )


class RegisterRequest(Body):
    material: str = Field(max_length=20, description="List-of-Waste code: 170405 or '17 04 05'")
    quantity: Amount
    unit: Unit
    basis: Basis
    density: Amount | None = Field(None, description="Bulk density in kg/m³, for a volume")
    description: str = Field("", max_length=500)


class ShipRequest(Versioned):
    destination: RowId = Field(description="The receiving company's id")
    carrier: str = Field(max_length=200)
    vehicle: str = Field(max_length=50)
    distance_km: Amount = Field(description="Road distance in km")
    exchange: RowId | None = Field(None, description="The agreed exchange this fulfils")


class ReceiveRequest(Versioned):
    quantity: Amount = Field(description="The mass weighed on arrival")
    unit: Unit
    density: Amount | None = None
    reason: str = Field("", max_length=500, description="Why it differs from what was sent")


class CorrectRequest(Versioned):
    quantity: Amount = Field(description="The right mass")
    unit: Unit
    reason: str = Field(max_length=500)
    density: Amount | None = None
    basis: Basis = "weighed"


class Part(Body):
    quantity: Amount
    unit: Unit


class SplitRequest(Versioned):
    parts: list[Part] = Field(min_length=1, max_length=MAX_PARTS)


class MergeRequest(Confirmable):
    batches: list[str] = Field(
        min_length=1,
        max_length=200,
        description="Codes of the batches of the same material to merge with this one",
    )


class Output(Body):
    material: str = Field(max_length=20)
    quantity: Amount
    unit: Unit
    basis: Basis


class CloseRequest(Versioned):
    operation: str = Field(max_length=3, description="The R or D code of the treatment: R4, D1")
    outputs: list[Output] = Field(
        [], max_length=MAX_PARTS, description="What the treatment produced: new batches"
    )


class BatchQuery(BaseModel):
    status: Status | None = None
    material: str | None = Field(
        None, max_length=20, description="List-of-Waste code, spaces and a final * allowed"
    )
    page: int = Field(1, ge=1, le=1_000_000)
