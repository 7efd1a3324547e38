"""Agreed exchanges and their fulfilment: batches shipped under an exchange, and received.

Planned tonnes come from the accepted proposal; delivered tonnes are what the receiver weighed
on arrival (the receive event) for every batch shipped under the exchange. The link from a
shipment to its exchange is its own table, so the hash-chained event table stays as it is;
the ship event's payload carries the same link as "circ:exchangeID".
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, or_
from sqlmodel import Session, select

from circularity import db
from circularity.models import Batch, Company, Event, EventBatch, Exchange, ExchangeShipment, User
from circularity.roles import can
from circularity.services.errors import InvalidInput, NotFound
from circularity.services.fields import record_id


@dataclass
class Shipment:
    batch_code: str
    shipped_at: datetime
    sent_g: int
    received_g: int | None


@dataclass
class ExchangeView:
    exchange: Exchange
    supplier: str
    receiver: str
    delivered_g: int
    in_transit_g: int
    shipments: list[Shipment]

    @property
    def fulfilled(self) -> bool:
        """A one-lot exchange is fulfilled once the receiver weighed at least the plan."""
        return self.exchange.period_days is None and self.delivered_g >= self.exchange.planned_g


def _grams(kg) -> int:
    """Exact grams from an EPCIS quantity in kg. A JSON number of kilograms with three
    decimals reads back as the nearest double, whose shortest repr is those decimals again;
    Decimal(float) would instead expand the binary value (2003.1 -> 2003.0999...)."""
    return int((Decimal(str(kg)) * 1000).to_integral_value())


def shipments(session: Session, exchange_ids: list[int]) -> dict[int, list[Shipment]]:
    """Every shipment under these exchanges, with the mass weighed at its receipt if any."""
    rows = session.exec(
        select(ExchangeShipment.exchange_id, ExchangeShipment.batch_id, Event, Batch.code)
        .join(Event, Event.id == ExchangeShipment.event_id)
        .join(Batch, Batch.id == ExchangeShipment.batch_id)
        .where(ExchangeShipment.exchange_id.in_(exchange_ids))
        .order_by(Event.seq)
    ).all()
    receipts: dict[int, list[tuple[int, int]]] = {}
    batch_ids = [batch_id for _, batch_id, _, _ in rows]
    for batch_id, seq, payload in session.exec(
        select(EventBatch.batch_id, Event.seq, Event.payload)
        .join(Event, Event.id == EventBatch.event_id)
        .where(EventBatch.batch_id.in_(batch_ids), Event.operation == "receive")
        .order_by(Event.seq)
    ).all():
        grams = _grams(json.loads(payload)["quantityList"][0]["quantity"])
        receipts.setdefault(batch_id, []).append((seq, grams))
    out: dict[int, list[Shipment]] = {}
    for exchange_id, batch_id, event, code in rows:
        sent = _grams(json.loads(event.payload)["quantityList"][0]["quantity"])
        received = next((g for seq, g in receipts.get(batch_id, []) if seq > event.seq), None)
        out.setdefault(exchange_id, []).append(Shipment(code, event.event_time, sent, received))
    return out


def _views(session: Session, exchanges: list[Exchange]) -> list[ExchangeView]:
    names = dict(session.exec(select(Company.id, Company.name)).all())
    shipped = shipments(session, [e.id for e in exchanges])
    views = []
    for exchange in exchanges:
        rows = shipped.get(exchange.id, [])
        views.append(
            ExchangeView(
                exchange,
                names[exchange.supplier_company_id],
                names[exchange.receiver_company_id],
                sum(s.received_g for s in rows if s.received_g is not None),
                sum(s.sent_g for s in rows if s.received_g is None),
                rows,
            )
        )
    return views


def _visible(user: User):
    if can(user, "see_market"):
        return True
    return or_(
        Exchange.supplier_company_id == user.company_id,
        Exchange.receiver_company_id == user.company_id,
    )


def list_exchanges(session: Session, user: User) -> list[ExchangeView]:
    """The exchanges this person may see: their company's, or all for park roles."""
    rows = session.exec(select(Exchange).where(_visible(user)).order_by(Exchange.id.desc())).all()
    return _views(session, list(rows))


def get_exchange(session: Session, user: User, exchange_id: int) -> ExchangeView:
    """One exchange; NotFound also when the person's company is not part of it."""
    row = session.exec(
        select(Exchange).where(Exchange.id == exchange_id).where(_visible(user))
    ).first()
    if row is None:
        raise NotFound("There is no such exchange.", "exchange")
    return _views(session, [row])[0]


# Built once: the ship form asks it every time it opens, and building the statement cost more
# than SQLite took to answer it. Most batches have no open exchange, so the ids come first.
_OPEN_FOR_SHIPMENT_IDS = select(Exchange.id).where(
    Exchange.status == "open",
    Exchange.supplier_company_id == bindparam("supplier"),
    Exchange.material_code == bindparam("material"),
)


def open_for_shipment(session: Session, batch: Batch) -> list[ExchangeView]:
    """Exchanges a held batch may be shipped under: its holder supplies its material."""
    params = {"supplier": batch.company_id, "material": batch.material_code}
    ids = [row.id for row in db.rows(session, _OPEN_FOR_SHIPMENT_IDS, params)]
    if not ids:  # the usual case on a batch page: spare it the queries below
        return []
    found = session.exec(select(Exchange).where(Exchange.id.in_(ids)).order_by(Exchange.id))
    return [v for v in _views(session, list(found.all())) if not v.fulfilled]


def check_shipment(
    session: Session, exchange_id: str | int, batch: Batch, destination_id: int
) -> Exchange:
    """The exchange a shipment is made under, if it fits: same supplier, receiver, material."""
    try:
        exchange = session.get(Exchange, record_id(exchange_id, "exchange"))
    except InvalidInput:
        exchange = None
    if exchange is None or exchange.supplier_company_id != batch.company_id:
        raise NotFound("Your company supplies no such exchange.", "exchange")
    if exchange.status != "open":
        raise InvalidInput("This exchange is no longer open.", "exchange")
    if exchange.receiver_company_id != destination_id:
        raise InvalidInput(
            "The destination must be the exchange's receiver, %(name)s.",
            "destination",
            name=session.get(Company, exchange.receiver_company_id).name,
        )
    if exchange.material_code != batch.material_code:
        raise InvalidInput("This batch's material is not the exchange's material.", "exchange")
    return exchange


def link_shipment(session: Session, exchange: Exchange, event: Event, batch: Batch) -> None:
    session.add(ExchangeShipment(event_id=event.id, exchange_id=exchange.id, batch_id=batch.id))
