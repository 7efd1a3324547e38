"""The district credit ledger: avoided emissions of the mass that reached final recycling.

A credit belongs to the first circular closing of a batch's mass (a batch closed by R2-R11
whose mass no earlier circular closing counted, mfa.emissions.counted_share), and credits
the tonnes of that closing that reached final recycling (mfa.emissions.credited_mass): a
closing without outputs is final recycling; a sorting or shredding closing is followed to its
outputs and each to its own fate. Residues burnt, landfilled, stored or lost are not
credited, and recyclate recycled again is part of its first closing's credit, never a second
one. While some outputs are still held the credit is provisional and counts them as if they
will be recycled; when they close, booking adds an entry that makes the credit final or
reduces it, with the settings the credit was first booked with. Nothing is edited: every new
figure is a new entry that supersedes the last (revision n+1), and the unique (ledger, batch,
revision) constraint refuses a second first booking whatever the order of runs.

Booking runs when management presses "book new credits" or when `circularity credit` runs
(nightly from cron, say); closing a batch does not book it. `recalculate` re-prices every
current credit with another factor set and today's settings; credits that set cannot price
keep their entry and are reported, and the ledger shows which set each entry used.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from circularity.config import setting
from circularity.db import write_transaction
from circularity.models import Batch, Credit, CreditRun, Event, EventBatch, User
from circularity.services.carbon import factors
from circularity.services.errors import Conflict, NotFound
from circularity.services.fields import required_text
from mfa import emissions as em
from mfa.routes import ROUTES, Route

LEDGER = "district"
FINAL, PROVISIONAL = "final", "provisional"
#: Tonnes below which a pending remainder is rounding, not an open batch (a gram).
EPSILON_T = 1e-6


@dataclass
class Graph:
    """The whole custody record as plain data, read in one query (mfa.emissions.Custody)."""

    custody: em.Custody
    shipments: dict[int, list[tuple[int, float]]]
    origins: dict[int, tuple[int, list[tuple[int, float]]]]
    companies: dict[int, set[int]]
    close_events: dict[int, Event]
    output_materials: dict[int, list[str]]
    batches: dict[int, Batch]
    #: Closed batches whose closing names no route of R1-R13 or D1-D15 (none was recorded, as
    #: in a bulk import): batch -> tonnes treated. They are never credited, and their mass
    #: counts as lost to whatever they were made from.
    unrouted: dict[int, float] = field(default_factory=dict)


def known_route(code: str | None) -> Route | None:
    """The R/D route a closing names, or None when it names none of R1-R13, D1-D15."""
    return ROUTES.get((code or "").replace(" ", "").upper())


def load_graph(session: Session) -> Graph:
    """Every event's ledger rows in chain order, turned into the batches' custody graph."""
    batches = {b.id: b for b in session.exec(select(Batch)).all()}
    rows = session.exec(
        select(Event, EventBatch)
        .join(EventBatch, EventBatch.event_id == Event.id)
        .order_by(Event.seq, EventBatch.id)
    ).all()
    by_event: dict[int, tuple[Event, list[EventBatch]]] = {}
    for event, link in rows:
        by_event.setdefault(event.id, (event, []))[1].append(link)
    closings: dict[int, em.Closing] = {}
    children: dict[int, list[tuple[int, float]]] = defaultdict(list)
    parents: dict[int, list[tuple[int, float, bool]]] = defaultdict(list)
    shipments: dict[int, list[tuple[int, float]]] = defaultdict(list)
    origins: dict[int, tuple[int, list[tuple[int, float]]]] = {}
    companies: dict[int, set[int]] = defaultdict(set)
    close_events: dict[int, Event] = {}
    output_materials: dict[int, list[str]] = {}
    unrouted: dict[int, float] = {}
    for event, links in by_event.values():
        inputs = [(x.batch_id, -x.mass_delta_g / 1e6) for x in links if x.role == "input"]
        outputs = [(x.batch_id, x.mass_delta_g / 1e6) for x in links if x.role == "output"]
        for link in links:
            companies[link.batch_id].add(event.company_id)
        if event.operation == "ship" and event.distance_km is not None:
            for link in links:
                shipments[link.batch_id].append((event.seq, event.distance_km))
        closing_route = known_route(event.route)
        circular = (
            event.operation == "close" and closing_route is not None and closing_route.circular
        )
        total_in = sum(t for _, t in inputs if t > 0)
        for child, _t in outputs:
            origins[child] = (event.seq, inputs)
            for parent, taken in inputs:
                share = taken / total_in if total_in > 0 else 0.0
                children[parent].append((child, share))
                parents[child].append((parent, share, circular))
        if event.operation == "close":
            for batch_id, treated in inputs:
                close_events[batch_id] = event
                if closing_route is None:
                    unrouted[batch_id] = treated
                    continue
                closings[batch_id] = em.Closing(
                    closing_route.code, treated, tuple(b for b, _ in outputs)
                )
                output_materials[batch_id] = [batches[b].material_code for b, _ in outputs]
    open_t = {
        b.id: b.mass_g / 1e6
        for b in batches.values()
        if b.id not in closings and b.id not in unrouted and b.mass_g > 0
    }
    return Graph(
        em.Custody(closings, open_t, dict(children), dict(parents)),
        dict(shipments),
        origins,
        dict(companies),
        close_events,
        output_materials,
        batches,
        unrouted,
    )


@dataclass(frozen=True)
class Terms:
    """The settings a credit is priced with: its baseline and substitution, each cited."""

    baseline: str
    baseline_source: str
    substitution: float
    substitution_source: str


@dataclass
class Assessment:
    """A closed batch as the rule sees it: the credit's inputs, or why there is no credit."""

    batch: Batch
    close_event: Event
    route: str | None
    input_t: float
    mapping: factors.Mapping
    reasons: list[str] = field(default_factory=list)
    inputs: em.CreditInputs | None = None
    used: dict = field(default_factory=dict)
    terms: Terms | None = None
    fate: em.MassFate | None = None
    share: float = 1.0
    companies: set[int] = field(default_factory=set)
    trips: list[dict] = field(default_factory=list)
    #: Codes of the batches where the credited mass ended (ids differ between databases).
    end_codes: dict[int, str] = field(default_factory=dict)

    @property
    def creditable(self) -> bool:
        return self.inputs is not None and not self.reasons

    @property
    def mass_t(self) -> float:
        """Tonnes credited: the share of the fate not counted before, final plus pending."""
        if self.fate is None:
            return 0.0
        return self.share * (self.fate.final_t + self.fate.pending_t)

    @property
    def pending_t(self) -> float:
        return 0.0 if self.fate is None else self.share * self.fate.pending_t

    @property
    def status(self) -> str:
        return PROVISIONAL if self.pending_t > EPSILON_T else FINAL


def material_terms(material: str) -> Terms | None:
    """Today's baseline and substitution of a factor material, or None when it has none."""
    found = factors.material_settings().get(material)
    if found is None:
        return None
    return Terms(
        found.baseline, found.baseline_source, found.substitution, found.substitution_source
    )


def price(
    session: Session | None,
    library: factors.Library,
    material: str,
    route: str,
    terms: Terms,
    mass_t: float = 1.0,
    distance_km: float = 0.0,
) -> tuple[em.CreditInputs | None, dict, list[str]]:
    """The credit inputs of ``mass_t`` of ``material`` closed by ``route``: the one place the
    ledger and the market read factors for a credit. Returns (inputs, factors used, reasons
    it cannot be priced)."""
    plan = em.CREDIT_ROUTES[route]
    wanted = {
        "baseline": (material, em.DISPOSAL, terms.baseline),
        "route": (material, em.DISPOSAL, plan.disposal),
    }
    if plan.secondary:
        wanted["primary"] = (material, em.PRODUCTION, em.PRIMARY)
        wanted["secondary"] = (material, em.PRODUCTION, plan.secondary)
    if distance_km > 0:
        wanted["freight"] = (factors.FREIGHT_MATERIAL, em.FREIGHT, factors.FREIGHT_ROUTE)
    values, used, reasons = {}, {}, []
    for name, (mat, kind, key) in wanted.items():
        value = factors.lookup(session, library, mat, kind, key)
        if value is None:
            reasons.append(f"no_factor:{kind}:{key}")
            continue
        values[name] = value
        used[name] = {
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
    if reasons:
        return None, used, reasons
    inputs = em.CreditInputs(
        mass_t=mass_t,
        route=route,
        baseline=terms.baseline,
        ef_baseline=values["baseline"].value,
        ef_route=values["route"].value,
        substitution=terms.substitution,
        ef_primary=values["primary"].value if plan.secondary else 0.0,
        ef_secondary=values["secondary"].value if plan.secondary else 0.0,
        distance_km=distance_km,
        ef_freight=values["freight"].value if "freight" in values else 0.0,
    )
    return inputs, used, []


def benefit_per_tonne(material_code: str, library: factors.Library) -> tuple[float | None, str]:
    """kg CO2e a tonne of ``material_code`` recycled avoids, before transport, as the ledger
    would book it (mfa.emissions.benefit_per_tonne), or (None, why not)."""
    material = factors.mapping(material_code).material
    if material is None:
        return None, "unmapped"
    terms = material_terms(material)
    if terms is None:
        return None, "no_baseline"
    inputs, _used, reasons = price(None, library, material, em.RECYCLING, terms)
    if inputs is None:
        return None, reasons[0]
    return em.benefit_per_tonne(inputs), ""


def _lineage_companies(graph: Graph, batches: list[int]) -> set[int]:
    """Every company that acted on these batches or the batches their mass came from."""
    found, todo, seen = set(), list(batches), set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        found |= graph.companies.get(current, set())
        todo += [p for p, _ in graph.origins.get(current, (0, []))[1]]
    return found


def assess(
    session: Session,
    graph: Graph,
    batch: Batch,
    library: factors.Library,
    terms: Terms | None = None,
) -> Assessment:
    """Work out a closed batch's credit with ``library`` (and ``terms``, by default today's
    settings of its material), or every reason it has none."""
    event = graph.close_events[batch.id]
    if batch.id in graph.unrouted:
        found = Assessment(
            batch, event, None, graph.unrouted[batch.id], factors.mapping(batch.material_code)
        )
        found.reasons.append("no_route")
        return found
    closing = graph.custody.closings[batch.id]
    route = em.credit_route(closing.route, graph.output_materials.get(batch.id, ()))
    found = Assessment(batch, event, route, closing.mass_t, factors.mapping(batch.material_code))
    if route is None:
        found.reasons.append("not_circular")
        return found
    found.share = 1.0 - em.counted_share(batch.id, graph.custody)
    if found.share <= EPSILON_T:
        found.reasons.append("counted_at_ancestor")
        return found
    if route in (em.COMPOSTING, em.ANAEROBIC_DIGESTION):
        # Bio-waste entering composting or digestion whose output is compost or digestate
        # counts as recycled at the input (Waste Framework Directive, art. 11a(4)).
        found.fate = em.MassFate(closing.mass_t, 0.0, {batch.id: (closing.mass_t, 0.0)})
    else:
        found.fate = em.credited_mass(batch.id, graph.custody)
    ends = list(found.fate.ends)
    found.end_codes = {b: graph.batches[b].code for b in ends}
    found.companies = _lineage_companies(graph, [batch.id, *ends])
    tonne_km = sum(
        found.share * (f + p) * em.chain_distance(end, graph.shipments, graph.origins)
        for end, (f, p) in found.fate.ends.items()
    )
    found.trips = [
        {"batch": graph.batches[b].code, "event": seq, "km": km}
        for b in sorted(_lineage_batches(graph, [batch.id, *ends]))
        for seq, km in graph.shipments.get(b, ())
    ]
    material = found.mapping.material
    if material is None:
        found.reasons.append("unmapped")
        return found
    found.terms = terms or material_terms(material)
    if found.terms is None:
        found.reasons.append("no_baseline")
        return found
    if found.mass_t <= EPSILON_T:
        found.reasons.append("nothing_recycled")
    distance = tonne_km / found.mass_t if found.mass_t > EPSILON_T else 0.0
    inputs, found.used, reasons = price(
        session, library, material, route, found.terms, found.mass_t, distance
    )
    found.reasons += reasons
    found.inputs = inputs
    return found


def _lineage_batches(graph: Graph, batches: list[int]) -> set[int]:
    found, todo = set(), list(batches)
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += [p for p, _ in graph.origins.get(current, (0, []))[1]]
    return found


def _entry(found: Assessment, library: factors.Library, run: CreditRun, previous=None) -> Credit:
    inputs = found.inputs
    result = em.credit(inputs)
    fate = found.fate
    return Credit(
        ledger=LEDGER,
        batch_id=found.batch.id,
        revision=previous.revision + 1 if previous else 1,
        supersedes_id=previous.id if previous else None,
        run_id=run.id,
        close_event_id=found.close_event.id,
        closed_at=found.close_event.event_time,
        company_id=found.close_event.company_id,
        companies=" ".join(str(c) for c in sorted(found.companies))[:500],
        material_code=found.batch.material_code,
        operation=known_route(found.close_event.route).code,
        route=inputs.route,
        factor_material=found.mapping.material,
        factor_set=library.key,
        factor_edition=library.edition,
        factor_source=library.source[:500],
        mass_g=round(found.mass_t * 1e6),
        input_g=round(found.input_t * 1e6),
        pending_g=round(found.pending_t * 1e6),
        status=found.status,
        baseline=inputs.baseline,
        baseline_source=found.terms.baseline_source[:300],
        substitution=inputs.substitution,
        substitution_source=found.terms.substitution_source[:300],
        distance_km=inputs.distance_km,
        disposal_kg=result.disposal_kg,
        production_kg=result.production_kg,
        transport_kg=result.transport_kg,
        credit_kg=result.total_kg,
        inputs=json.dumps(
            {
                "factors": found.used,
                "mass_t": inputs.mass_t,
                "input_t": found.input_t,
                "share_not_counted_before": found.share,
                "final_t": found.share * fate.final_t,
                "pending_t": found.pending_t,
                "ends": {
                    found.end_codes[b]: {"final_t": f * found.share, "pending_t": p * found.share}
                    for b, (f, p) in sorted(fate.ends.items())
                },
                "baseline": inputs.baseline,
                "baseline_source": found.terms.baseline_source,
                "substitution": inputs.substitution,
                "substitution_source": found.terms.substitution_source or "assumption",
                "distance_km": inputs.distance_km,
                "shipments": found.trips,
                "mapping": {"code": found.mapping.code, "file": found.mapping.file},
                "factor_set": library.key,
                "factor_edition": library.edition,
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
    """(closed_at, credit_kg, status) of the current entries only: what a balance sums,
    without loading whole ledger rows (a district has hundreds of thousands of them)."""
    return list(
        session.exec(
            select(Credit.closed_at, Credit.credit_kg, Credit.status).where(
                Credit.ledger == LEDGER, col(Credit.id).not_in(_superseded_ids(session))
            )
        ).all()
    )


def _roots(graph: Graph) -> list[Batch]:
    """Closed batches whose closing is circular or names no route at all, in id order: the
    second are assessed only to say why they have no credit."""
    circular = [b for b, c in graph.custody.closings.items() if known_route(c.route).circular]
    return [graph.batches[b] for b in sorted([*circular, *graph.unrouted])]


def _assess_all(session: Session, library: factors.Library) -> tuple[Graph, list[Assessment]]:
    graph = load_graph(session)
    return graph, [assess(session, graph, b, library) for b in _roots(graph)]


def pending(session: Session, library: factors.Library | None = None) -> list[Assessment]:
    """Closed circular batches not in the ledger, with the credit they would get or why not.

    This assesses the whole park (seconds at a million events): it says what a booking would
    do. No page calls it; the ledger page lists what waits with services.carbon.ledger."""
    library = library or factors.get_set(session, setting("CARBON_FACTOR_SET"))
    credited = set(session.exec(select(Credit.batch_id).where(Credit.ledger == LEDGER)).all())
    _graph, found = _assess_all(session, library)
    return [a for a in found if a.batch.id not in credited]


def _changed(previous: Credit, found: Assessment) -> bool:
    return (
        previous.mass_g != round(found.mass_t * 1e6)
        or previous.pending_g != round(found.pending_t * 1e6)
        or previous.status != found.status
        or abs(em.credit(found.inputs).total_kg - previous.credit_kg) > 1e-6
    )


@dataclass
class Booking:
    """A booking's run (None when there was nothing to write) and why the batches it left
    waiting have no credit: reason (``unmapped``, ``no_factor`` ...) -> how many batches."""

    run: CreditRun | None
    refused: dict[str, int]


#: Why a closed circular batch gets no credit (``Assessment.reasons``, "no_factor:kind:route"
#: counted as "no_factor"); each has its name in circularity.display.
REASONS = (
    "unmapped",
    "counted_at_ancestor",
    "nothing_recycled",
    "no_baseline",
    "no_route",
    "no_factor",
)


def _refused(found: list[Assessment]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for assessed in found:
        for reason in dict.fromkeys(r.split(":")[0] for r in assessed.reasons):
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def book_credits(
    session: Session, user: User | None = None, factor_set: str | None = None
) -> CreditRun | None:
    """Book as ``book`` does; returns the run, or None when there was nothing to write."""
    return book(session, user, factor_set).run


def book(session: Session, user: User | None = None, factor_set: str | None = None) -> Booking:
    """Book every closed batch that can be credited and is not in the ledger yet, and follow
    every provisional credit to its outputs' fates; say why the others cannot be credited.

    A provisional credit is re-assessed with the factor set, baseline and substitution it was
    booked with, so a new entry changes only what the custody record now shows. Running it
    again books nothing new, so a retried button or an overlapping cron job is harmless.
    """
    with write_transaction(session):
        library = factors.get_set(session, factor_set or setting("CARBON_FACTOR_SET"))
        graph, found = _assess_all(session, library)
        current = {c.batch_id: c for c in current_credits(session)}
        credited = set(session.exec(select(Credit.batch_id).where(Credit.ledger == LEDGER)).all())
        new = [a for a in found if a.batch.id not in credited and a.creditable]
        refused = _refused([a for a in found if a.batch.id not in credited and not a.creditable])
        updates = []
        for previous in current.values():
            if previous.status != PROVISIONAL:
                continue
            terms = Terms(
                previous.baseline,
                previous.baseline_source,
                previous.substitution,
                previous.substitution_source,
            )
            booked_with = factors.get_set(session, previous.factor_set)
            again = assess(session, graph, graph.batches[previous.batch_id], booked_with, terms)
            if again.inputs is not None and "nothing_recycled" in again.reasons:
                again.reasons.remove("nothing_recycled")
            if not again.reasons and again.inputs is not None and _changed(previous, again):
                updates.append((again, booked_with, previous))
        if not new and not updates:
            return Booking(None, refused)
        not_credited = ", ".join(f"{reason} {n}" for reason, n in refused.items())
        note = f"{len(new)} new, {len(updates)} provisional followed to their outputs"
        run = CreditRun(
            kind="book",
            factor_set=library.key,
            factor_edition=library.edition,
            user_id=user.id if user else None,
            note=(f"{note}; not creditable: {not_credited}" if refused else note)[:500],
            entries=len(new) + len(updates),
        )
        session.add(run)
        session.flush()
        session.add_all([_entry(a, library, run) for a in new])
        session.add_all([_entry(a, lib, run, previous) for a, lib, previous in updates])
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                "Credits were booked at the same time by someone else; run it again."
            ) from None
    return Booking(run, refused)


@dataclass
class Recalculation:
    """A recalculation's run (None when nothing changed) and the credits it could not price,
    each with why: they keep the entry of their earlier set, and the ledger shows both sets."""

    run: CreditRun | None
    kept: list[Assessment]


def recalculate(
    session: Session, user: User | None, factor_set: str, note: str = ""
) -> Recalculation:
    """Recompute every current credit with ``factor_set``, today's settings and custody record.

    Each credit whose figure, factor set or settings would change gets a new entry that
    supersedes it; the old entry stays. Running the same recalculation twice changes nothing
    the second time. A credit the set cannot price (it lacks a factor, say) keeps its entry
    and is listed in ``kept``, never silently dropped or mixed. ``note``, the reason for
    rewriting the ledger's figures, is required and kept with the run.
    """
    note = required_text(note, "note", 500)
    with write_transaction(session):
        library = factors.get_set(session, factor_set)
        graph = load_graph(session)
        changes, kept = [], []
        for previous in current_credits(session):
            found = assess(session, graph, graph.batches[previous.batch_id], library)
            if "nothing_recycled" in found.reasons and found.inputs is not None:
                found.reasons.remove("nothing_recycled")
            if not found.creditable:
                kept.append(found)
                continue
            same_set = (previous.factor_set, previous.factor_edition) == (
                library.key,
                library.edition,
            )
            same_terms = (previous.baseline, previous.baseline_source) == (
                found.terms.baseline,
                found.terms.baseline_source[:300],
            )
            if same_set and same_terms and not _changed(previous, found):
                continue
            changes.append((found, previous))
        if not changes:
            return Recalculation(None, kept)
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
    return Recalculation(run, kept)


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
