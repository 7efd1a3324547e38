"""Monthly totals of the custody records, maintained with every event and rebuilt from the log.

The dashboard must answer for a park of a million events in a fraction of a second, with the
same figures the analysis pages compute from the log. So each event's custody records are added
to ``MonthlyFlow`` in the transaction that appends the event (``add_event``, called by
``recording.record``), in exact integer grams. The records are those of
circularity.services.analysis.records, decided by its ``classify`` (one statement of the rules for
both): a total is the sum of the records the analysis builds for the same months.

``rebuild`` recomputes every total from the event log (for a database written before this
table existed, or after a bulk load) and ``differences`` compares the stored totals with a
recomputation, which is how tests and ``circularity verify`` show that they are exact.
"""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import Session, select

from circularity.db import write_transaction
from circularity.models import Batch, Event, EventBatch, MonthlyFlow
from circularity.services.analysis.records import classify
from circularity.times import month_of
from mfa.model import RecordKind

#: (month, kind, reason, company id, partner id, route, material): one MonthlyFlow row.
Key = tuple[str, str, str, int, int, str, str]
KEY_COLUMNS = ("month", "kind", "reason", "company_id", "partner_id", "route", "material_code")


def event_records(
    operation: str,
    company: int,
    source: int | None,
    destination: int | None,
    route: str | None,
    rows: Iterable[tuple[str, int, str, int]],
) -> list[tuple[str, int, int, str, str, int]]:
    """The custody records of one event as (kind, company, partner, route, material, grams).

    ``rows`` are its ledger rows as (role, mass change, material, mass before the event); the
    rules are analysis.classify's, so the totals are sums of the records /analysis builds.
    """
    out = []
    for role, delta, material, before in rows:
        record = classify(operation, role, delta, before)
        if record is None:
            continue
        kind, grams = record
        if kind is RecordKind.SHIPMENT:
            out.append((kind.value, source, destination, "", material, grams))
        else:
            # A treatment's output carries its closing's route: the rates count a closing's
            # mass less what it produced (mfa.indicators.rates_by_route).
            out.append((kind.value, company, 0, route or "", material, grams))
    return out


def _add(totals: dict[Key, list[int]], month: str, reason: str, records) -> None:
    for kind, company, partner, route, material, grams in records:
        entry = totals[(month, kind, reason, company, partner or 0, route, material)]
        entry[0] += grams
        entry[1] += 1


def add_event(session: Session, event: Event, ledger: list) -> None:
    """Add the records of an event just appended (inside its write transaction).

    Writers hold the chain head's lock (chain.lock_head), so no two of them update the totals
    at once and an update-or-insert is safe.
    """
    # The batch rows already hold the mass after this event, so before = after - change.
    rows = [
        (role, delta, batch.material_code, batch.mass_g - delta) for batch, role, delta in ledger
    ]
    records = event_records(event.operation, event.company_id, event.source_company_id,
                            event.destination_company_id, event.route, rows)  # fmt: skip
    totals: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    _add(totals, month_of(event.event_time), event.operation, records)
    for key, (grams, count) in totals.items():
        values = dict(zip(KEY_COLUMNS, key, strict=True))
        if None in key:  # never so by _add's rules; "= NULL" would match nothing
            raise ValueError(f"a monthly total's key has no value: {values}")
        keys = {f"key_{column}": value for column, value in values.items()}
        # Straight on the connection: the ORM's bulk update would first look for the rows
        # among the session's objects (there are none) and cost more than the statement.
        connection = session.connection()
        changed = connection.execute(_ADD_TO_TOTAL, {**keys, "grams": grams, "count": count})
        if changed.rowcount == 0:
            connection.execute(_NEW_TOTAL, {**values, "mass_g": grams, "records": count})


# Built once: every recorded event runs it in its write transaction.
_TOTALS = MonthlyFlow.__table__
_ADD_TO_TOTAL = (
    update(_TOTALS)
    .where(*(_TOTALS.c[c] == bindparam(f"key_{c}") for c in KEY_COLUMNS))
    .values(
        mass_g=_TOTALS.c.mass_g + bindparam("grams"),
        records=_TOTALS.c.records + bindparam("count"),
    )
)
_NEW_TOTAL = insert(_TOTALS)


def recompute(session: Session) -> dict[Key, list[int]]:
    """Every total from the event log, walking the ledger in chain order once."""
    query = (
        select(Event.id, Event.event_time, Event.operation, Event.company_id,
               Event.source_company_id, Event.destination_company_id, Event.route,
               EventBatch.batch_id, EventBatch.role, EventBatch.mass_delta_g, Batch.material_code)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .join(Batch, Batch.id == EventBatch.batch_id)
        .order_by(Event.seq, EventBatch.id)
    )  # fmt: skip
    totals: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    mass: dict[int, int] = defaultdict(int)
    current, head, rows = None, None, []

    def flush() -> None:
        if head is not None:
            _, when, operation, company, source, destination, route = head
            _add(totals, month_of(when), operation,
                 event_records(operation, company, source, destination, route, rows))  # fmt: skip

    result = session.execute(query.execution_options(yield_per=20_000))
    for event_id, *event, batch_id, role, delta, material in result:
        if event_id != current:
            flush()
            current, head, rows = event_id, (event_id, *event), []
        rows.append((role, delta, material, mass[batch_id]))
        mass[batch_id] += delta
    flush()
    return dict(totals)


def stored(session: Session) -> dict[Key, list[int]]:
    columns = [getattr(MonthlyFlow, c) for c in KEY_COLUMNS]
    rows = session.exec(select(*columns, MonthlyFlow.mass_g, MonthlyFlow.records)).all()
    return {tuple(row[:7]): [row[7], row[8]] for row in rows}


def replace(session: Session, totals: dict[Key, list[int]] | None = None) -> int:
    """Replace every stored total with a recomputation (inside the caller's transaction)."""
    totals = recompute(session) if totals is None else totals
    session.execute(delete(MonthlyFlow))
    rows = [
        {**dict(zip(KEY_COLUMNS, key, strict=True)), "mass_g": grams, "records": count}
        for key, (grams, count) in totals.items()
    ]
    for at in range(0, len(rows), 5000):
        session.execute(insert(MonthlyFlow), rows[at : at + 5000])
    return len(rows)


def rebuild(session: Session) -> int:
    """Recompute every total from the event log in one write transaction; safe to repeat."""
    with write_transaction(session):
        return replace(session)


def differences(session: Session) -> list[tuple[Key, list[int] | None, list[int] | None]]:
    """Totals whose stored value differs from the log's, as (key, stored, recomputed)."""
    have, want = stored(session), recompute(session)
    return [
        (key, have.get(key), want.get(key))
        for key in sorted(set(have) | set(want))
        if have.get(key) != want.get(key)
    ]
