"""The district credit ledger: avoided emissions booked once per batch closed circularly.

A credit is booked by `book_credits`, which runs when management presses "book new credits" or
when the `circularity credit` command runs (nightly from cron, say); closing a batch does not
book it, so a missing factor or a slow lookup never stands between a recycler and its record.
Booking finds closed batches that have no entry in the ledger yet and books each once: the
ledger's unique (ledger, batch, revision) constraint refuses a second first booking, whatever
the order of events, retries or concurrent runs. Nothing rewrites a credit: `recalculate`
adds an entry that supersedes the current one and keeps it, recorded with who ran it and why.
"""

import json
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from circularity.config import setting
from circularity.db import write_transaction
from circularity.models import Batch, Credit, CreditRun, Event, EventBatch, User
from circularity.services.carbon import factors
from circularity.services.errors import Conflict, NotFound
from mfa import emissions as em

LEDGER = "district"


@dataclass
class Lineage:
    """What the custody record says about a batch and the batches its mass came from."""

    shipments: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    origins: dict[int, tuple[int, list[tuple[int, float]]]] = field(default_factory=dict)
    companies: set[int] = field(default_factory=set)
    counted_at: str | None = None  # an ancestor closed circularly: the mass was counted there
    trips: list[dict] = field(default_factory=list)


@dataclass
class Assessment:
    """A closed batch as the rule sees it: the credit's inputs, or why there is no credit."""

    batch: Batch
    close_event: Event
    route: str | None
    mass_t: float
    mapping: factors.Mapping
    reasons: list[str] = field(default_factory=list)
    inputs: em.CreditInputs | None = None
    used: dict = field(default_factory=dict)
    settings: factors.MaterialSettings | None = None
    lineage: Lineage | None = None

    @property
    def creditable(self) -> bool:
        return self.inputs is not None and not self.reasons


def _close_event(session: Session, batch: Batch) -> tuple[Event, int, list[str]]:
    """The closing event, the grams it treated and the materials it produced."""
    rows = session.exec(
        select(Event, EventBatch)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id, Event.operation == "close")
    ).all()
    event, link = rows[0]
    outputs = session.exec(
        select(Batch.material_code)
        .join(EventBatch, EventBatch.batch_id == Batch.id)
        .where(EventBatch.event_id == event.id, EventBatch.role == "output")
    ).all()
    return event, -link.mass_delta_g, list(outputs)


def lineage(session: Session, batch: Batch, energy_recovery: bool) -> Lineage:
    """Ship events, origins and holders of a batch and all its ancestors."""
    found, todo, seen = Lineage(), [batch.id], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        rows = session.exec(
            select(Event, EventBatch)
            .join(EventBatch, EventBatch.event_id == Event.id)
            .where(EventBatch.batch_id == current)
            .order_by(Event.seq)
        ).all()
        for event, link in rows:
            found.companies.add(event.company_id)
            if event.operation == "ship" and event.distance_km is not None:
                found.shipments.setdefault(current, []).append((event.seq, event.distance_km))
                found.trips.append({"event": event.seq, "km": event.distance_km})
            if link.role != "output":
                continue
            parents = session.exec(
                select(EventBatch).where(
                    EventBatch.event_id == event.id, EventBatch.role == "input"
                )
            ).all()
            found.origins[current] = (
                event.seq,
                [(p.batch_id, -p.mass_delta_g / 1e6) for p in parents],
            )
            circular = em.credit_route(event.route or "R13", (), energy_recovery) is not None
            if event.operation == "close" and circular and found.counted_at is None:
                found.counted_at = f"{event.route} (event {event.seq})"
            todo += [p.batch_id for p in parents]
    return found


def assess(
    session: Session, batch: Batch, library: factors.Library, energy_recovery: bool
) -> Assessment:
    """Work out a closed batch's credit with ``library``, or every reason it has none."""
    event, grams, outputs = _close_event(session, batch)
    route = em.credit_route(batch.closing_operation, outputs, energy_recovery)
    found = Assessment(batch, event, route, grams / 1e6, factors.mapping(batch.material_code))
    if route is None:
        found.reasons.append("not_circular")
        return found
    found.lineage = lineage(session, batch, energy_recovery)
    if found.lineage.counted_at:
        found.reasons.append("counted_at_ancestor")
    material = found.mapping.material
    if material is None:
        found.reasons.append("unmapped")
        return found
    settings = factors.material_settings().get(material)
    found.settings = settings
    if settings is None:
        found.reasons.append("no_baseline")
        return found
    plan = em.CREDIT_ROUTES[route]
    wanted = {
        "baseline": (material, em.DISPOSAL, settings.baseline),
        "route": (material, em.DISPOSAL, plan.disposal),
    }
    if plan.secondary:
        wanted["primary"] = (material, em.PRODUCTION, em.PRIMARY)
        wanted["secondary"] = (material, em.PRODUCTION, plan.secondary)
    distance = em.chain_distance(batch.id, found.lineage.shipments, found.lineage.origins)
    if distance > 0:
        wanted["freight"] = (factors.FREIGHT_MATERIAL, em.FREIGHT, factors.FREIGHT_ROUTE)
    values = {}
    for name, (mat, kind, key) in wanted.items():
        value = factors.lookup(session, library, mat, kind, key)
        if value is None:
            found.reasons.append(f"no_factor:{kind}:{key}")
        else:
            values[name] = value
            found.used[name] = {
                "material": mat,
                "kind": kind,
                "route": key,
                "value": value.value,
                "unit": value.unit,
                "value_given": value.value_given,
                "unit_given": value.unit_given,
                "set": value.set_key,
                "edition": value.edition,
                "source": value.source,
            }
    if found.reasons:
        return found
    found.inputs = em.CreditInputs(
        mass_t=found.mass_t,
        route=route,
        baseline=settings.baseline,
        ef_baseline=values["baseline"].value,
        ef_route=values["route"].value,
        substitution=settings.substitution,
        ef_primary=values["primary"].value if plan.secondary else 0.0,
        ef_secondary=values["secondary"].value if plan.secondary else 0.0,
        distance_km=distance,
        ef_freight=values["freight"].value if "freight" in values else 0.0,
    )
    return found


def _entry(found: Assessment, library: factors.Library, run: CreditRun, previous=None) -> Credit:
    result = em.credit(found.inputs)
    inputs = found.inputs
    return Credit(
        ledger=LEDGER,
        batch_id=found.batch.id,
        revision=previous.revision + 1 if previous else 1,
        supersedes_id=previous.id if previous else None,
        run_id=run.id,
        close_event_id=found.close_event.id,
        closed_at=found.close_event.event_time,
        company_id=found.close_event.company_id,
        companies=" ".join(str(c) for c in sorted(found.lineage.companies)),
        material_code=found.batch.material_code,
        operation=found.batch.closing_operation,
        route=inputs.route,
        factor_material=found.mapping.material,
        factor_set=library.key,
        factor_edition=library.edition,
        factor_source=library.source[:500],
        mass_g=round(inputs.mass_t * 1e6),
        baseline=inputs.baseline,
        substitution=inputs.substitution,
        substitution_source=found.settings.substitution_source,
        distance_km=inputs.distance_km,
        disposal_kg=result.disposal_kg,
        production_kg=result.production_kg,
        transport_kg=result.transport_kg,
        credit_kg=result.total_kg,
        inputs=json.dumps(
            {
                "factors": found.used,
                "mass_t": inputs.mass_t,
                "substitution": inputs.substitution,
                "substitution_source": found.settings.substitution_source or "assumption",
                "distance_km": inputs.distance_km,
                "shipments": found.lineage.trips,
                "mapping": {"code": found.mapping.code, "file": found.mapping.file},
            },
            sort_keys=True,
        ),
    )


def _superseded_ids(session: Session):
    return select(Credit.supersedes_id).where(col(Credit.supersedes_id).is_not(None))


def current_credits(session: Session) -> list[Credit]:
    """The ledger's figures: every entry no later entry supersedes, newest closings first."""
    return list(
        session.exec(
            select(Credit)
            .where(Credit.ledger == LEDGER, col(Credit.id).not_in(_superseded_ids(session)))
            .order_by(col(Credit.closed_at).desc(), col(Credit.id).desc())
        ).all()
    )


def current_amounts(session: Session) -> list[tuple]:
    """(closed_at, credit_kg) of the current entries only: what a balance sums, without
    loading whole ledger rows (a district has hundreds of thousands of them)."""
    return list(
        session.exec(
            select(Credit.closed_at, Credit.credit_kg).where(
                Credit.ledger == LEDGER, col(Credit.id).not_in(_superseded_ids(session))
            )
        ).all()
    )


def attribution(entries: list[Credit]) -> list[tuple[int, int, float]]:
    """(company id, credits, kg CO2e) for each company taking part in current credits.

    Attribution is for display: a credit shared by a supplier, a carrier-receiver and a
    recycler appears in full beside each of them, so the rows do not add up to the ledger
    and are never subtracted from any company's inventory.
    """
    totals: dict[int, list] = {}
    for entry in entries:
        for company in dict.fromkeys(int(c) for c in entry.companies.split()):
            row = totals.setdefault(company, [0, 0.0])
            row[0] += 1
            row[1] += entry.credit_kg
    ranked = sorted(totals.items(), key=lambda item: (-item[1][1], item[0]))
    return [(company, count, kg) for company, (count, kg) in ranked]


def _uncredited_closed(session: Session) -> list[Batch]:
    credited = select(Credit.batch_id).where(Credit.ledger == LEDGER)
    return list(
        session.exec(
            select(Batch)
            .where(Batch.status == "closed", col(Batch.id).not_in(credited))
            .order_by(Batch.id)
        ).all()
    )


def pending(session: Session, library: factors.Library | None = None) -> list[Assessment]:
    """Closed circular batches not in the ledger, with the credit they would get or why not."""
    library = library or factors.get_set(session, setting("CARBON_FACTOR_SET"))
    energy = bool(setting("CARBON_CREDIT_ENERGY_RECOVERY"))
    found = [assess(session, b, library, energy) for b in _uncredited_closed(session)]
    return [a for a in found if a.route is not None]


def book_credits(
    session: Session, user: User | None = None, factor_set: str | None = None
) -> CreditRun | None:
    """Book every closed batch that can be credited and is not in the ledger yet.

    Running it again books nothing new, so a retried button or a cron job that overlaps a
    person is harmless. Returns the run, or None when there was nothing to book.
    """
    with write_transaction(session):
        library = factors.get_set(session, factor_set or setting("CARBON_FACTOR_SET"))
        todo = [a for a in pending(session, library) if a.creditable]
        if not todo:
            return None
        run = CreditRun(
            kind="book",
            factor_set=library.key,
            factor_edition=library.edition,
            user_id=user.id if user else None,
            entries=len(todo),
        )
        session.add(run)
        session.flush()
        session.add_all([_entry(a, library, run) for a in todo])
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                "Credits were booked at the same time by someone else; run it again."
            ) from None
    return run


def recalculate(
    session: Session, user: User | None, factor_set: str, note: str = ""
) -> CreditRun | None:
    """Recompute every current credit with ``factor_set`` and today's custody record.

    Each credit whose figure or factor set would change gets a new entry that supersedes it;
    the old entry stays. Running the same recalculation twice changes nothing the second time.
    A batch that can no longer be credited (its mapping was withdrawn, say) keeps its entry and
    is reported, never silently dropped.
    """
    with write_transaction(session):
        library = factors.get_set(session, factor_set)
        energy = bool(setting("CARBON_CREDIT_ENERGY_RECOVERY"))
        changes = []
        for previous in current_credits(session):
            batch = session.get(Batch, previous.batch_id)
            found = assess(session, batch, library, energy)
            if not found.creditable:
                continue
            if previous.factor_set == library.key and previous.factor_edition == library.edition:
                fresh = em.credit(found.inputs).total_kg
                if abs(fresh - previous.credit_kg) < 1e-9 and previous.mass_g == round(
                    found.mass_t * 1e6
                ):
                    continue
            changes.append((found, previous))
        if not changes:
            return None
        run = CreditRun(
            kind="recalculate",
            factor_set=library.key,
            factor_edition=library.edition,
            user_id=user.id if user else None,
            note=(note or "").strip()[:500],
            entries=len(changes),
        )
        session.add(run)
        session.flush()
        session.add_all([_entry(found, library, run, previous) for found, previous in changes])
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                "Credits were recalculated at the same time; look at the ledger again."
            ) from None
    return run


def get_credit(session: Session, credit_id: int) -> Credit:
    credit = session.get(Credit, credit_id)
    if credit is None:
        raise NotFound("No such credit.", "credit")
    return credit


def history(session: Session, batch_id: int) -> list[Credit]:
    """Every entry of a batch, first booking first: the trail a recalculation leaves."""
    return list(
        session.exec(
            select(Credit).where(Credit.batch_id == batch_id).order_by(Credit.revision)
        ).all()
    )


def runs(session: Session, limit: int = 50) -> list[CreditRun]:
    return list(
        session.exec(select(CreditRun).order_by(col(CreditRun.id).desc()).limit(limit)).all()
    )
