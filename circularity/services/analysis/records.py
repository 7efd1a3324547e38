"""Database rows -> mfa's plain inputs: the custody records and stock changes of a period.

This is the one place where the event log becomes material-flow data; everything the analysis
pages show is computed by ``mfa`` from what this module hands it. Processes are companies,
named ``c<company id>`` (display names travel beside them), plus mfa's boundary nodes.

How events become records (mfa.model), per ledger row of the event:

- register: generation at the company, the registered mass.
- ship: shipment source -> destination of the mass the batch had when it was sent. In the flow
  model custody passes at shipment, so a batch in transit counts in the receiver's stock.
- receive and correct: the ledger delta is a second weighing of the same batch. A negative one
  is a loss at the receiver (or, for a correction, at the holder): mfa puts it on the edge to
  "atmosphere". A positive one (more weighed than sent, or a correction upward) is a generation
  record at that company: mass that entered custody without a registration. mfa masses are
  never negative, so the sign decides the kind. Both are marked as discrepancies, so the
  reconciliation can leave them out (circularity.services.analysis.figures).
- split and merge: no record; the mass stays with one company in other batches.
- close: closing at the holder with its R/D route; each output batch is a treatment record.

The stock change of a company is what it holds at the end of the period minus at the start,
from the same ledger: every row's delta counted at the event's company (the holder), and a
shipment moving the batch's mass from the sender to the receiver. So for every company
received + generated + produced = shipped + closed + lost + stock change, exactly.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, case, type_coerce
from sqlmodel import Session, select

from circularity.config import setting
from circularity.models import COMPANY_KINDS, Batch, Company, Event, EventBatch
from circularity.services import fields
from circularity.services.errors import InvalidInput
from circularity.times import park_timezone
from mfa.model import CustodyRecord, RecordKind, Stock
from mfa.uncertainty import standard_deviation

#: A period chosen without dates: the 90 days up to and including today. A rolling window
#: always holds recent data; a calendar quarter can be chosen with the dates.
DEFAULT_DAYS = 90
#: The kind of company (COMPANY_KINDS) that disposes of waste: landfills, incinerators,
#: waste-to-energy plants. What it receives is disposal, not an exchange.
WASTE_MANAGEMENT = COMPANY_KINDS[2]
#: Records that are a second weighing of a batch already in custody, not a movement.
DISCREPANCY_REASONS = frozenset({"receive", "correct"})
#: Records that carry their event's R/D route: a closing, and a treatment's outputs (so the
#: rates can count a closing's mass less what it produced; mfa.indicators.rates_by_route).
_ROUTED = frozenset({RecordKind.CLOSING, RecordKind.TREATMENT})


def classify(operation: str, role: str, delta: int, before: int) -> tuple[RecordKind, int] | None:
    """The custody record one ledger row makes, as (kind, grams), or None.

    The one statement of the rules, used here and by the dashboard's monthly totals
    (services/analysis/monthly_totals.py): a shipment carries the mass the batch had; a registration
    generates; a receipt or correction that changed the mass is a loss or a generation of
    the difference; a closing closes its inputs and produces its outputs; splits and merges
    stay inside one company and make no record.
    """
    if operation == "ship":
        return RecordKind.SHIPMENT, before
    if operation == "register":
        return RecordKind.GENERATION, delta
    if operation in DISCREPANCY_REASONS and delta:
        return (RecordKind.LOSS if delta < 0 else RecordKind.GENERATION), abs(delta)
    if operation == "close":
        return (RecordKind.CLOSING if role == "input" else RecordKind.TREATMENT), abs(delta)
    return None


BOUNDARY_LABELS = {
    "generation": _l("Generated"),
    "transformation": _l("Produced by treatment"),
    "imports": _l("Imports"),
    "exports": _l("Exports"),
    "atmosphere": _l("Lost"),
    "recycling": _l("Recycling (R2-R11)"),
    "energy_recovery": _l("Energy recovery (R1)"),
    "incineration": _l("Incineration (D10, D11)"),
    "landfill": _l("Landfill (D1, D5, D12)"),
    "release": _l("Release to land or water"),
    "pretreatment": _l("Preliminary treatment"),
}


@dataclass(frozen=True)
class Period:
    """Whole days in the park's time zone, ``last`` included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first instant of the period, in UTC (as event times are)."""
        return _utc(self.first)

    @property
    def end(self) -> datetime:
        """The first instant after the period, in UTC: the period is [start, end)."""
        return _utc(self.last + timedelta(days=1))


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=park_timezone()).astimezone(UTC)


def parse_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    """The period from two ISO dates (either may be empty); raises InvalidInput naming the field."""
    today = today or datetime.now(park_timezone()).date()
    last = _date(end, "end") or today
    first = _date(start, "start") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput("The period must end on or after the day it starts.", "end")
    return Period(first, last)


def _date(value: str | None, field: str) -> date | None:
    if not (value or "").strip():
        return None
    return fields.day(value, field)


def process_id(company_id: int) -> str:
    return f"c{company_id}"


@dataclass
class CustodyData:
    """What mfa needs for one period, with what the pages need to explain it.

    ``reasons`` runs beside ``records``: the operation each record came from, so a discrepancy
    (a second weighing) can be told from a movement. ``made_from`` runs beside them too: for a
    treatment output, the material of the batch its closing treated ("" for other records), so
    a material's figures can count its closings less what they produced.
    ``waste_management`` names the processes of waste-management companies (Company.kind),
    whose deliveries are disposal, not exchanges (mfa.indicators.symbiosis).
    """

    period: Period
    records: list[CustodyRecord]
    reasons: list[str]
    stocks: list[Stock]
    names: dict[str, str]
    relative_sd: dict[str, float]
    made_from: list[str] = field(default_factory=list)
    waste_management: frozenset[str] = frozenset()

    def reported(self) -> list[CustodyRecord]:
        """The records that report a movement, without the discrepancies between weighings."""
        pairs = zip(self.records, self.reasons, strict=True)
        return [r for r, why in pairs if why not in DISCREPANCY_REASONS]


def process_names(session: Session) -> dict[str, str]:
    """Display names of every process: companies by name, boundary nodes by what they mean."""
    names = {key: str(label) for key, label in BOUNDARY_LABELS.items()}
    taken = set(names.values())
    for company_id, name in session.exec(select(Company.id, Company.name)).all():
        names[process_id(company_id)] = name if name not in taken else f"{name} (c{company_id})"
    return names


def waste_management(session: Session) -> frozenset[str]:
    """The processes of the companies whose kind is waste management (landfills, incinerators,
    waste-to-energy plants): a delivery to them is disposal, not an exchange."""
    rows = session.exec(select(Company.id).where(Company.kind == WASTE_MANAGEMENT)).all()
    return frozenset(process_id(company_id) for company_id in rows)


def custody_data(session: Session, period: Period) -> CustodyData:
    """Records and stock changes of the period, from one query over the ledger.

    The query reads every ledger row, up to the period's end, of the batches the period
    touched: the rows before the period give the mass a batch had when it was shipped and the
    basis it was obtained by. No query per row.
    """
    start, end = period.start, period.end
    touched = (
        select(EventBatch.batch_id)
        .join(Event, Event.id == EventBatch.event_id)
        .where(Event.event_time >= start, Event.event_time < end)
    )
    # Plain rows through the connection: the rows are read once, so the ORM's row objects
    # and the UTC decorator of event_time (done by _aware once a row) are work for nothing.
    rows = (
        session.connection()
        .execute(
            select(
                Event.operation,
                type_coerce(Event.event_time, DateTime(timezone=True)),
                Event.company_id,
                Event.source_company_id,
                Event.destination_company_id,
                Event.route,
                EventBatch.batch_id,
                EventBatch.role,
                EventBatch.mass_delta_g,
                Batch.code,
                Batch.material_code,
                Batch.basis,
                case((Event.operation == "register", Event.payload), else_=None),
            )
            .join(EventBatch, EventBatch.event_id == Event.id)
            .join(Batch, Batch.id == EventBatch.batch_id)
            .where(Event.event_time < end, EventBatch.batch_id.in_(touched))
            .order_by(Event.seq, EventBatch.id)
        )
        .all()
    )
    table = dict(setting("UNCERTAINTY_RELATIVE_SD"))
    builder = _Builder(table)
    builder.walk(rows, start)
    return CustodyData(
        period,
        builder.records,
        builder.reasons,
        builder.stocks(),
        process_names(session),
        table,
        builder.made_from,
        waste_management(session),
    )


class _Builder:
    """Walks the ledger rows in chain order, keeping each batch's mass and basis."""

    def __init__(self, table: dict[str, float]):
        self.table = table
        self.mass: dict[int, int] = {}
        self.basis: dict[int, str] = {}
        self.records: list[CustodyRecord] = []
        self.reasons: list[str] = []
        self.made_from: list[str] = []
        # (process, material) -> batch code -> net grams held at the end minus at the start
        self.held: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.batch_basis: dict[str, str] = {}

    def walk(self, rows, start: datetime) -> None:
        """Every ledger row in chain order; those from ``start`` on make records."""
        mass, held, batch_basis = self.mass, self.held, self.batch_basis
        records, reasons, basis_of = self.records, self.reasons, self._basis
        made_from, treated = self.made_from, ""
        for row in rows:
            operation, when, company, source, destination, route, batch_id = row[:7]
            role, delta, code, material, basis_now, register_payload = row[7:]
            before = mass.get(batch_id, 0)
            mass[batch_id] = before + delta
            basis = basis_of(operation, batch_id, role, basis_now, register_payload)
            if operation == "close" and role == "input":
                treated = material  # a closing's ledger lists its input before its outputs
            when = _aware(when)
            if when < start:
                continue
            batch_basis[code] = basis
            holder = process_id(company)
            target = None
            if operation == "ship":
                holder, target = process_id(source), process_id(destination)
                held[(holder, material)][code] -= before
                held[(target, material)][code] += before
            else:
                held[(holder, material)][code] += delta
            record = classify(operation, role, delta, before)
            if record is not None:
                kind, grams = record
                records.append(
                    CustodyRecord(
                        code,
                        material,
                        grams / 1000,
                        holder,
                        target,
                        when,
                        kind.value,
                        route if kind in _ROUTED else None,
                        basis,
                    )
                )
                reasons.append(operation)
                made_from.append(treated if kind is RecordKind.TREATMENT else "")

    def _basis(self, operation, batch_id, role, basis_now, register_payload) -> str:
        """How the batch's mass was obtained at this event, followed through the events.

        The registration declares it and a receipt weighs. The batches a split, merge or
        treatment creates, and a correction, carry the basis the batch has now: the events do
        not record it, and it changes only when the batch is received or corrected.
        """
        if operation == "register":
            declared = _declared_basis(register_payload)
            self.basis[batch_id] = declared if declared in self.table else basis_now
        elif operation == "receive":
            self.basis[batch_id] = "weighed"
        elif operation == "correct" or (role == "output" and batch_id not in self.basis):
            self.basis[batch_id] = basis_now
        return self.basis.get(batch_id, basis_now)

    def stocks(self) -> list[Stock]:
        """Stock change per company and material; each batch's net contribution has its own
        standard deviation (from its basis), and they add in quadrature."""
        out = []
        for (process, material), batches in sorted(self.held.items()):
            change = sum(batches.values())
            sds = (
                standard_deviation(grams / 1000, self.batch_basis.get(code, "weighed"), self.table)
                for code, grams in batches.items()
                if grams
            )
            variance = sum(sd**2 for sd in sds)
            if change or variance:
                out.append(Stock(process, material, change / 1000, variance**0.5))
        return out


def _declared_basis(payload: str) -> str | None:
    """The basis a registration declared, read from its canonical JSON without parsing it all
    (a park-year has tens of thousands of registrations). Inside a JSON string a quote is
    escaped, so the key-value text below cannot occur in a description."""
    marker = '"circ:basis":"'
    at = payload.find(marker)
    if at < 0:
        return None
    at += len(marker)
    return payload[at : payload.find('"', at)]


def _aware(moment: datetime) -> datetime:
    """Event times in UTC; a database that drops the zone returns them naive, meaning UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
