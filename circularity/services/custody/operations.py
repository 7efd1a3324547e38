"""The chain of custody: register, ship, receive and correct batches.

Each function is one write transaction that checks who may act, validates every value
before writing anything, records one event and updates the batch rows to match.
"""

import secrets
from datetime import datetime

from sqlmodel import Session, select

from circularity.db import write_transaction
from circularity.models import Batch, Company, Event, EventBatch, User
from circularity.services import catalogue
from circularity.services.custody import access
from circularity.services.custody.recording import (
    Outcome,
    check_client_id,
    company_uri,
    quantity,
    record,
    replay,
)
from circularity.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from circularity.services.fields import optional_text, required_text
from circularity.services.market import exchanges
from circularity.services.quantities import format_mass, kilograms, parse_decimal, to_grams

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASES = ("weighed", "estimated")


def new_code() -> str:
    """26 Crockford base32 characters from 128 random bits: unguessable, never a row id."""
    number = int.from_bytes(secrets.token_bytes(16), "big")
    return "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(26)))


def staff_company(session: Session, user: User) -> Company:
    if user.role != "staff" or user.company_id is None:
        raise Forbidden("Only staff of a company can record batches.")
    return session.get(Company, user.company_id)


def _basis(value: str) -> str:
    if value not in BASES:
        raise InvalidInput("Say whether the quantity was weighed or estimated.", "basis")
    return value


def register(
    session: Session,
    user: User,
    *,
    material: str,
    quantity_value,
    unit: str,
    basis: str,
    client_event_id: str,
    density=None,
    description: str = "",
    event_time: datetime | None = None,
) -> Outcome:
    """Register a new batch held by the person's company."""
    check_client_id(client_event_id)
    with write_transaction(session):
        if done := replay(session, client_event_id, "register", user):
            return done
        company = staff_company(session, user)
        entry = catalogue.get_material(material)
        grams = to_grams(quantity_value, unit, density)
        basis = _basis(basis)
        description = optional_text(description, "description", 500)
        batch = Batch(
            code=new_code(),
            material_code=entry.code,
            company_id=company.id,
            mass_g=grams,
            basis=basis,
            origin="registered",
            description=description,
        )
        if event_time is not None:
            batch.created_at = event_time
        session.add(batch)
        session.flush()
        return record(
            session,
            operation="register",
            user=user,
            company=company,
            client_event_id=client_event_id,
            event_type="ObjectEvent",
            action="ADD",
            biz_step="commissioning",
            disposition="active",
            ledger=[(batch, "object", grams)],
            event_time=event_time,
            fields={
                "quantityList": [quantity(batch, grams)],
                "ilmd": {
                    "circ:material": entry.code,
                    "circ:hazardous": entry.hazardous,
                    "circ:basis": basis,
                    "circ:description": description,
                },
            },
        )


def ship(
    session: Session,
    user: User,
    code: str,
    *,
    destination_company_id,
    carrier: str,
    vehicle: str,
    distance_km,
    client_event_id: str,
    expected_version=None,
    event_time: datetime | None = None,
    exchange_id=None,
) -> Outcome:
    """Send a held batch to another company; it is in transit until that company receives it.

    With ``exchange_id`` the shipment fulfils that agreed exchange, which must go from the
    holder to the destination in the batch's material; the payload names it.
    """
    check_client_id(client_event_id)
    with write_transaction(session):
        if done := replay(session, client_event_id, "ship", user):
            return done
        batch = access.get_batch(session, user, code, lock=True)
        access.require_action(user, batch, "ship", expected_version)
        destination = _company(session, destination_company_id, "destination")
        if destination.id == batch.company_id:
            raise InvalidInput(
                "Choose another company than the one holding the batch.", "destination"
            )
        exchange = None
        if exchange_id not in (None, ""):
            exchange = exchanges.check_shipment(session, exchange_id, batch, destination.id)
        carrier, vehicle = (
            required_text(carrier, "carrier", 200),
            required_text(vehicle, "vehicle", 50),
        )
        km = _distance(distance_km)
        batch.status, batch.destination_company_id = "in_transit", destination.id
        batch.version += 1
        session.add(batch)
        company = session.get(Company, batch.company_id)
        fields = {"circ:exchangeID": exchange.id} if exchange else {}
        outcome = record(
            session,
            operation="ship",
            user=user,
            company=company,
            client_event_id=client_event_id,
            event_type="ObjectEvent",
            action="OBSERVE",
            biz_step="shipping",
            disposition="in_transit",
            ledger=[(batch, "object", 0)],
            event_time=event_time,
            fields={
                "quantityList": [quantity(batch, batch.mass_g)],
                "sourceList": [{"type": "owning_party", "source": company_uri(company.id)}],
                "destinationList": [
                    {"type": "owning_party", "destination": company_uri(destination.id)}
                ],
                "circ:sourceCompanyID": company.id,
                "circ:destinationCompanyID": destination.id,
                "circ:distanceKm": km,
                "circ:carrier": carrier,
                "circ:vehicle": vehicle,
                **fields,
            },
        )
        if exchange:
            exchanges.link_shipment(session, exchange, outcome.event, batch)
        return outcome


def receive(
    session: Session,
    user: User,
    code: str,
    *,
    quantity_value,
    unit: str,
    client_event_id: str,
    density=None,
    reason: str = "",
    expected_version=None,
    event_time: datetime | None = None,
) -> Outcome:
    """Take over a batch shipped to the person's company, with the mass weighed on arrival.

    A weighed mass that differs from what was sent is recorded as a discrepancy with its
    reason: the sent mass stays in the record, nothing is overwritten.
    """
    check_client_id(client_event_id)
    with write_transaction(session):
        if done := replay(session, client_event_id, "receive", user):
            return done
        batch = access.get_batch(session, user, code, lock=True)
        access.require_action(user, batch, "receive", expected_version)
        received = to_grams(quantity_value, unit, density)
        sent = batch.mass_g
        reason = (reason or "").strip()
        fields = {
            "quantityList": [quantity(batch, received)],
            "sourceList": [{"type": "owning_party", "source": company_uri(batch.company_id)}],
            "destinationList": [
                {"type": "owning_party", "destination": company_uri(user.company_id)}
            ],
            "circ:sourceCompanyID": batch.company_id,
            "circ:destinationCompanyID": user.company_id,
        }
        if received != sent:
            if not reason:
                raise InvalidInput(
                    "The weighed mass differs from the %(sent)s sent; give the reason.",
                    "reason",
                    sent=format_mass(sent),
                )
            fields["circ:discrepancy"] = {
                "sentKg": kilograms(sent),
                "receivedKg": kilograms(received),
                "differenceKg": kilograms(received - sent),
                "reason": required_text(reason, "reason", 500),
            }
        batch.company_id, batch.destination_company_id = user.company_id, None
        batch.status, batch.mass_g, batch.basis = "held", received, "weighed"
        batch.version += 1
        session.add(batch)
        return record(
            session,
            operation="receive",
            user=user,
            company=session.get(Company, user.company_id),
            client_event_id=client_event_id,
            event_type="ObjectEvent",
            action="OBSERVE",
            biz_step="receiving",
            disposition="active",
            ledger=[(batch, "object", received - sent)],
            event_time=event_time,
            fields=fields,
        )


def correct(
    session: Session,
    user: User,
    code: str,
    *,
    quantity_value,
    unit: str,
    reason: str,
    client_event_id: str,
    density=None,
    basis: str = "weighed",
    expected_version=None,
    event_time: datetime | None = None,
) -> Outcome:
    """Correct the mass recorded by the batch's latest registration, receipt or correction.

    The wrong event stays as it was; the correction is a new event that names it (as an
    EPCIS error declaration does) and records the old and the new mass.
    """
    check_client_id(client_event_id)
    with write_transaction(session):
        if done := replay(session, client_event_id, "correct", user):
            return done
        batch = access.get_batch(session, user, code, lock=True)
        access.require_action(user, batch, "correct", expected_version)
        last = latest_event(session, batch)
        if last is None or last.operation not in ("register", "receive", "correct"):
            raise Conflict(
                "Only the mass recorded by the latest registration or receipt can be corrected.",
                "quantity",
            )
        grams = to_grams(quantity_value, unit, density)
        reason = required_text(reason, "reason", 500)
        if grams == batch.mass_g:
            raise InvalidInput("The corrected mass equals the recorded one.", "quantity")
        old = batch.mass_g
        batch.mass_g, batch.basis = grams, _basis(basis)
        batch.version += 1
        session.add(batch)
        return record(
            session,
            operation="correct",
            user=user,
            company=session.get(Company, batch.company_id),
            client_event_id=client_event_id,
            event_type="ObjectEvent",
            action="OBSERVE",
            biz_step="inspecting",
            disposition="active",
            ledger=[(batch, "object", grams - old)],
            event_time=event_time,
            fields={
                "quantityList": [quantity(batch, grams)],
                "circ:correctsEventSeq": last.seq,
                "circ:correction": {
                    "correctsEventID": last.event_id,
                    "oldKg": kilograms(old),
                    "newKg": kilograms(grams),
                    "reason": reason,
                },
            },
        )


def latest_event(session: Session, batch: Batch) -> Event | None:
    return session.exec(
        select(Event)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id)
        .order_by(Event.seq.desc())
    ).first()


def _company(session: Session, company_id, field: str) -> Company:
    try:
        company = session.get(Company, int(company_id))
    except (TypeError, ValueError):
        company = None
    if company is None or not company.active:
        raise NotFound("Choose a company of the park.", field)
    return company


def _distance(value) -> float:
    km = parse_decimal(value, "distance_km")
    if km > 5000:
        raise InvalidInput("A road distance inside the region is under 5000 km.", "distance_km")
    return float(km)
