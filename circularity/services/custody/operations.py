"""The chain of custody: register, ship, receive and correct batches.

Each is one ``recording.perform``: the work below validates every value before writing
anything, updates the batch rows and says what the operation's one event records.
"""

import secrets
from datetime import datetime

from flask_babel import gettext
from sqlmodel import Session, select

from circularity.models import Batch, Company, Event, EventBatch, User
from circularity.roles import can
from circularity.services import catalogue
from circularity.services.custody.recording import Outcome, Step, company_uri, perform, quantity
from circularity.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from circularity.services.fields import optional_text, record_id, required_text
from circularity.services.market import exchanges
from circularity.services.quantities import format_mass, kilograms, parse_decimal, to_grams

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASES = ("weighed", "estimated")


# A received mass that differs from the mass sent by more than a fifth of it is asked about
# before it is recorded: weighbridges agree to a few per cent and drying or dripping loses a
# few more, while a unit typed wrong (kg for t) is a factor of a thousand.
FAR_FROM_SENT = 5


def new_code() -> str:
    """26 Crockford base32 characters from 128 random bits: unguessable, never a row id."""
    number = int.from_bytes(secrets.token_bytes(16), "big")
    return "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(26)))


def staff_company(session: Session, user: User) -> Company:
    if not can(user, "handle_batches") or user.company_id is None:
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
    quantity_value: str,
    unit: str,
    basis: str,
    client_event_id: str,
    density: str | None = None,
    description: str = "",
    event_time: datetime | None = None,
) -> Outcome:
    """Register a new batch held by the person's company."""

    def work() -> Step:
        company = staff_company(session, user)
        entry = catalogue.get_material(material)
        grams = to_grams(quantity_value, unit, density)
        checked_basis = _basis(basis)
        text = optional_text(description, "description", 500)
        batch = Batch(
            code=new_code(),
            material_code=entry.code,
            company_id=company.id,
            mass_g=grams,
            basis=checked_basis,
            origin="registered",
            description=text,
        )
        if event_time is not None:
            batch.created_at = event_time
        session.add(batch)
        session.flush()
        return Step(
            company_id=company.id,
            event_type="ObjectEvent",
            action="ADD",
            biz_step="commissioning",
            disposition="active",
            ledger=[(batch, "object", grams)],
            fields={
                "quantityList": [quantity(batch, grams)],
                "ilmd": {
                    "circ:material": entry.code,
                    "circ:hazardous": entry.hazardous,
                    "circ:basis": checked_basis,
                    "circ:description": text,
                },
            },
        )

    return perform(
        session,
        user,
        "register",
        client_event_id=client_event_id,
        event_time=event_time,
        work=work,
        request={
            "material": material,
            "quantity": quantity_value,
            "unit": unit,
            "density": density,
            "basis": basis,
            "description": description,
        },
    )


def ship(
    session: Session,
    user: User,
    code: str,
    *,
    destination_company_id: str | int | None,
    carrier: str,
    vehicle: str,
    distance_km: str,
    client_event_id: str,
    expected_version: str | int | None = None,
    event_time: datetime | None = None,
    confirmed: bool = True,
    exchange_id: str | int | None = None,
) -> Outcome:
    """Send a held batch to another company; it is in transit until that company receives it.

    With ``exchange_id`` the shipment fulfils that agreed exchange, which must go from the
    holder to the destination in the batch's material; the payload names it.
    """

    def work(batch: Batch) -> Step:
        destination = _company(session, destination_company_id, "destination")
        if destination.id == batch.company_id:
            raise InvalidInput(
                "Choose another company than the one holding the batch.", "destination"
            )
        exchange = None
        if exchange_id not in (None, ""):
            exchange = exchanges.check_shipment(session, exchange_id, batch, destination.id)
        checked_carrier, checked_vehicle = (
            required_text(carrier, "carrier", 200),
            required_text(vehicle, "vehicle", 50),
        )
        km = _distance(distance_km)
        batch.status, batch.destination_company_id = "in_transit", destination.id
        source = batch.company_id

        def link(event: Event) -> None:
            exchanges.link_shipment(session, exchange, event, batch)

        return Step(
            company_id=source,
            event_type="ObjectEvent",
            action="OBSERVE",
            biz_step="shipping",
            disposition="in_transit",
            ledger=[(batch, "object", 0)],
            fields={
                "quantityList": [quantity(batch, batch.mass_g)],
                "sourceList": [{"type": "owning_party", "source": company_uri(source)}],
                "destinationList": [
                    {"type": "owning_party", "destination": company_uri(destination.id)}
                ],
                "circ:sourceCompanyID": source,
                "circ:destinationCompanyID": destination.id,
                "circ:distanceKm": km,
                "circ:carrier": checked_carrier,
                "circ:vehicle": checked_vehicle,
                **({"circ:exchangeID": exchange.id} if exchange else {}),
            },
            then=link if exchange else None,
        )

    return perform(
        session,
        user,
        "ship",
        client_event_id=client_event_id,
        codes=[code],
        expected_version=expected_version,
        event_time=event_time,
        work=work,
        confirmed=confirmed,
        request={
            "code": code,
            "destination": destination_company_id,
            "carrier": carrier,
            "vehicle": vehicle,
            "distance_km": distance_km,
            "exchange": exchange_id,
        },
    )


def receive(
    session: Session,
    user: User,
    code: str,
    *,
    quantity_value: str,
    unit: str,
    client_event_id: str,
    density: str | None = None,
    reason: str = "",
    expected_version: str | int | None = None,
    event_time: datetime | None = None,
    confirmed: bool = True,
) -> Outcome:
    """Take over a batch shipped to the person's company, with the mass weighed on arrival.

    A weighed mass that differs from what was sent is recorded as a discrepancy with its
    reason: the sent mass stays in the record, nothing is overwritten.
    """

    def work(batch: Batch) -> Step:
        received = to_grams(quantity_value, unit, density)
        sent = batch.mass_g
        stated = (reason or "").strip()
        fields = {
            "quantityList": [quantity(batch, received)],
            "sourceList": [{"type": "owning_party", "source": company_uri(batch.company_id)}],
            "destinationList": [
                {"type": "owning_party", "destination": company_uri(user.company_id)}
            ],
            "circ:sourceCompanyID": batch.company_id,
            "circ:destinationCompanyID": user.company_id,
        }
        warning = None
        if abs(received - sent) * FAR_FROM_SENT > sent:
            warning = gettext(
                "%(received)s weighed is far from the %(sent)s sent: check the unit and the "
                "weighing before you confirm.",
                received=format_mass(received),
                sent=format_mass(sent),
            )
        if received != sent:
            if not stated:
                raise InvalidInput(
                    "The weighed mass differs from the %(sent)s sent; give the reason.",
                    "reason",
                    sent=format_mass(sent),
                )
            fields["circ:discrepancy"] = {
                "sentKg": kilograms(sent),
                "receivedKg": kilograms(received),
                "differenceKg": kilograms(received - sent),
                "reason": required_text(stated, "reason", 500),
            }
        batch.company_id, batch.destination_company_id = user.company_id, None
        batch.status, batch.mass_g, batch.basis = "held", received, "weighed"
        return Step(
            company_id=user.company_id,
            event_type="ObjectEvent",
            action="OBSERVE",
            biz_step="receiving",
            disposition="active",
            ledger=[(batch, "object", received - sent)],
            fields=fields,
            warning=warning,
        )

    return perform(
        session,
        user,
        "receive",
        client_event_id=client_event_id,
        codes=[code],
        expected_version=expected_version,
        event_time=event_time,
        work=work,
        confirmed=confirmed,
        request={
            "code": code,
            "quantity": quantity_value,
            "unit": unit,
            "density": density,
            "reason": reason,
        },
    )


def correct(
    session: Session,
    user: User,
    code: str,
    *,
    quantity_value: str,
    unit: str,
    reason: str,
    client_event_id: str,
    density: str | None = None,
    basis: str = "weighed",
    expected_version: str | int | None = None,
    event_time: datetime | None = None,
    confirmed: bool = True,
) -> Outcome:
    """Correct the mass recorded by the batch's latest registration, receipt or correction.

    The wrong event stays as it was; the correction is a new event that names it (as an
    EPCIS error declaration does) and records the old and the new mass.
    """

    def work(batch: Batch) -> Step:
        last = latest_event(session, batch)
        if last is None or last.operation not in ("register", "receive", "correct"):
            raise Conflict(
                "Only the mass recorded by the latest registration or receipt can be corrected.",
                "quantity",
            )
        grams = to_grams(quantity_value, unit, density)
        stated = required_text(reason, "reason", 500)
        if grams == batch.mass_g:
            raise InvalidInput("The corrected mass equals the recorded one.", "quantity")
        old = batch.mass_g
        batch.mass_g, batch.basis = grams, _basis(basis)
        return Step(
            company_id=batch.company_id,
            event_type="ObjectEvent",
            action="OBSERVE",
            biz_step="inspecting",
            disposition="active",
            ledger=[(batch, "object", grams - old)],
            fields={
                "quantityList": [quantity(batch, grams)],
                "circ:correctsEventSeq": last.seq,
                "circ:basis": batch.basis,
                "circ:correction": {
                    "correctsEventID": last.event_id,
                    "oldKg": kilograms(old),
                    "newKg": kilograms(grams),
                    "reason": stated,
                },
            },
        )

    return perform(
        session,
        user,
        "correct",
        client_event_id=client_event_id,
        codes=[code],
        expected_version=expected_version,
        event_time=event_time,
        work=work,
        confirmed=confirmed,
        request={
            "code": code,
            "quantity": quantity_value,
            "unit": unit,
            "density": density,
            "reason": reason,
            "basis": basis,
        },
    )


def latest_event(session: Session, batch: Batch) -> Event | None:
    return session.exec(
        select(Event)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id)
        .order_by(Event.seq.desc())
    ).first()


def _company(session: Session, company_id: str | int | None, field: str) -> Company:
    try:
        company = session.get(Company, record_id(company_id, field))
    except InvalidInput:
        company = None
    if company is None or not company.active:
        raise NotFound("Choose a company of the park.", field)
    return company


def _distance(value: str) -> float:
    km = parse_decimal(value, "distance_km")
    if km > 5000:
        raise InvalidInput("A road distance inside the region is under 5000 km.", "distance_km")
    return float(km)
