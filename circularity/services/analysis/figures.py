"""What the analysis pages show: reconciliation, indicators, Sankey diagrams, a flow's batches.

Each function takes the period's custody data (circularity.services.analysis.records) and asks
mfa for the figures; nothing here writes, so every page is a GET. Scopes: the park, one company (the
flows that touch it) or one material (its records only).
"""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from circularity.models import Batch, Company
from circularity.services import catalogue, fields
from circularity.services.analysis.records import CustodyData, process_id
from circularity.services.errors import InvalidInput, NotFound, ServiceError
from mfa.balance import Balance, mass_balances, unbalanced
from mfa.errors import MFAError
from mfa.indicators import (
    ParkOutflow,
    ParkRates,
    SymbiosisFigures,
    outflow_circularity,
    park_outflow,
    park_rates,
    symbiosis,
)
from mfa.model import (
    BOUNDARY,
    CustodyRecord,
    Flow,
    RecordKind,
    RecordTable,
    Stock,
    build_flows,
    to_flow_system,
)
from mfa.reconcile import Estimate, Reconciliation, reconcile
from mfa.routes import Fate
from mfa.sankey import SankeyLayout, layout, sankey_links

#: Relative imbalance above which a company is listed as not balancing (1 %).
BALANCE_TOLERANCE = 0.01
#: Batches listed on one flow's page; a park-year flow can carry thousands.
MAX_BATCHES = 500
GROUPINGS = ("company", "material")


@dataclass(frozen=True)
class Scope:
    """The park, one company (``company`` is its process id) or one material."""

    company: str | None = None
    material: str | None = None

    @property
    def kind(self) -> str:
        return "company" if self.company else "material" if self.material else "park"


def parse_scope(session: Session, company: str | None, material: str | None) -> Scope:
    """The scope from the query string; raises NotFound or InvalidInput naming the field."""
    company, material = (company or "").strip(), (material or "").strip()
    if company and material:
        raise InvalidInput("Choose a company or a material, not both.", "material")
    if company:
        try:
            row = session.get(Company, fields.record_id(company, "company"))
        except InvalidInput:
            row = None
        if row is None:
            raise NotFound("Choose a company of the park.", "company")
        return Scope(company=process_id(row.id))
    if material:
        return Scope(material=catalogue.get_material(material).code)
    return Scope()


def parse_grouping(value: str | None) -> str:
    by = (value or "company").strip()
    if by not in GROUPINGS:
        raise InvalidInput("Group the flows by company or by material.", "by")
    return by


def _table(data: CustodyData, records) -> RecordTable:
    return RecordTable(records, data.period.start, data.period.end, relative_sd=data.relative_sd)


def _scope_records(data: CustodyData, scope: Scope) -> list[CustodyRecord]:
    """A material's own records; every record for the park or a company."""
    if scope.material:
        return [r for r in data.records if r.material == scope.material]
    return data.records


def scope_table(data: CustodyData, scope: Scope) -> RecordTable:
    """The scope's records coded once (mfa.model.RecordTable), for a page that asks several
    figures of one scope: coding the records is most of what each figure costs."""
    return _table(data, _scope_records(data, scope))


def scoped_flows(
    data: CustodyData, scope: Scope, by: str = "company", table: RecordTable | None = None
) -> list[Flow]:
    """The period's flows in the scope: a material's own, or those that touch the company.

    ``table`` is the scope's scope_table when the caller has it already.
    """
    flows = build_flows(scope_table(data, scope) if table is None else table, by=by)
    if scope.company:
        flows = [f for f in flows if scope.company in (f.source, f.target)]
    return flows


def company_stocks(stocks: list[Stock]) -> list[Stock]:
    """Stock changes summed over materials; standard deviations add in quadrature."""
    totals: dict[str, list[float]] = {}
    for s in stocks:
        entry = totals.setdefault(s.process, [0.0, 0.0])
        entry[0] += s.change_kg
        entry[1] += (s.sd_kg or 0.0) ** 2
    return [Stock(p, "*", change, var**0.5) for p, (change, var) in sorted(totals.items())]


@dataclass
class FlowCheck:
    flow: Flow
    estimate: Estimate


@dataclass
class ReconciliationReport:
    """The reconciliation of the reported flows, and each company's balance."""

    result: Reconciliation
    flows: list[FlowCheck]
    flagged: list[FlowCheck]
    flagged_stocks: list[tuple[str, Estimate]]
    balances: list[Balance]
    unbalanced: list[Balance]
    discrepancies: int


def reconciliation(data: CustodyData) -> ReconciliationReport:
    """Reconcile the reported flows of the period at company level.

    Receipt discrepancies and corrections are left out of the flows: they are the difference
    between two weighings of one batch, not a movement, so the test is whether the sender's
    and the receiver's figures can both be right. Stock changes come from what each company
    weighed (the ledger). With every record kept the balance closes by construction and the
    test would have nothing to say.
    """
    reported = data.reported()
    flows = build_flows(_table(data, reported), by="company")
    stocks = company_stocks(data.stocks)
    try:
        result = reconcile(to_flow_system(flows, stocks, unit="kg"))
    except MFAError as error:
        # Only exact quantities (a park's own uncertainty table) can contradict each other.
        raise ServiceError(
            "These flows cannot be reconciled: %(problem)s", problem=str(error)
        ) from error
    checks = [FlowCheck(f, result.flows[f.id]) for f in flows]
    flagged = sorted((c for c in checks if c.estimate.flagged),
                     key=lambda c: -(c.estimate.test or 0.0))  # fmt: skip
    balances = mass_balances(flows, stocks)
    return ReconciliationReport(
        result=result,
        flows=checks,
        flagged=flagged,
        flagged_stocks=[(p, e) for p, e in result.stocks.items() if e.flagged],
        balances=balances,
        unbalanced=unbalanced(balances, BALANCE_TOLERANCE),
        discrepancies=len(data.records) - len(reported),
    )


@dataclass
class OutflowRow:
    process: str
    outflow_kg: float
    circular: float


@dataclass
class Indicators:
    """The circularity figures of one scope, with the masses behind each."""

    scope: Scope
    rates: ParkRates
    recycled_kg: float
    secondary_inflow_kg: float
    outflow: list[OutflowRow]
    outflow_share: float | None
    symbiosis: SymbiosisFigures
    records: int
    flows: int
    materials: list[str] = field(default_factory=list)
    #: The park's or a material's outflow summed over batches (None for a company, whose
    #: outflow is its row of ``outflow``).
    park_outflow: ParkOutflow | None = None


def _fate_records(data: CustodyData, scope: Scope) -> list[CustodyRecord]:
    """What the rates and the outflow of a company or a material count, each tonne once.

    A company: its own closings and the outputs they produced. A material: its closings,
    losses and exports, and the outputs its closings produced, whatever their material (the
    outputs of another material's closings are that material's, not this one's).
    """
    if scope.company:
        return [r for r in data.records if r.kind in _FATE_KINDS and r.source == scope.company]
    made_from = data.made_from or [""] * len(data.records)
    return [
        r
        for r, source in zip(data.records, made_from, strict=True)
        if (r.kind == RecordKind.TREATMENT and source == scope.material)
        or (r.material == scope.material and r.kind in _LEAVING_KINDS)
        or (r.material == scope.material and r.kind == RecordKind.SHIPMENT and r.target is None)
    ]


_FATE_KINDS = frozenset({RecordKind.CLOSING, RecordKind.TREATMENT})
_LEAVING_KINDS = frozenset({RecordKind.CLOSING, RecordKind.LOSS})


def indicators(data: CustodyData, scope: Scope, table: RecordTable | None = None) -> Indicators:
    """Recycling and landfill diversion, circular outflow and the symbiosis network of a scope.

    Circular material use, circular inflow and the MCI need data custody does not hold (virgin
    inputs, total inflows, product design); the page says so instead of showing a number.
    ``table`` is the scope's scope_table when the caller has it already.
    """
    records = _scope_records(data, scope)
    table = _table(data, records) if table is None else table
    fates = table if scope.kind == "park" else _table(data, _fate_records(data, scope))
    rates = park_rates(fates)
    company_flows = build_flows(table, by="company")
    flows = [f for f in company_flows if not scope.company or scope.company in (f.source, f.target)]
    circular = outflow_circularity(table)
    totals: dict[str, float] = {}
    for f in company_flows:
        if f.source not in BOUNDARY:
            totals[f.source] = totals.get(f.source, 0.0) + f.mass_kg
    outflow = [
        OutflowRow(p, totals[p], circular.get(p, 0.0))
        for p in sorted(totals, key=lambda p: -totals[p])
        if not scope.company or p == scope.company
    ]
    if scope.company:
        share = outflow[0].circular if outflow and outflow[0].outflow_kg else None
        park = None
    else:
        # The park (or a material) as one system: each tonne once, where it leaves custody.
        park = park_outflow(fates)
        share = park.share
    inflow = sum(
        r.mass_kg
        for r in records
        if r.kind == RecordKind.SHIPMENT and (not scope.company or r.target == scope.company)
    )
    return Indicators(
        scope=scope,
        rates=rates,
        recycled_kg=rates.by_fate_kg[Fate.RECYCLING],
        secondary_inflow_kg=inflow,
        outflow=outflow,
        outflow_share=share,
        symbiosis=symbiosis(flows, data.waste_management),
        park_outflow=park,
        records=sum(1 for r in records if _touches(r, scope.company)),
        flows=len(flows),
        materials=sorted({r.material for r in records}),
    )


def _touches(record, company: str | None) -> bool:
    """Whether a record happened at the company or reached it (every record, without one)."""
    return company is None or company in (record.source, record.target)


def sankey(
    data: CustodyData, scope: Scope, by: str, table: RecordTable | None = None
) -> SankeyLayout:
    """The scope's flows as a laid-out Sankey diagram, nodes named for people."""
    return sankey_of(scoped_flows(data, scope, by, table), data.names, by)


def sankey_of(flows: list[Flow], names: dict[str, str], by: str) -> SankeyLayout:
    """Flows (from the records or the dashboard's monthly totals) as a laid-out diagram.

    Nodes keep their ids (``c12``, ``recycling``), which the page's links need, and show
    their names."""
    return layout(sankey_links(flows, by=by), labels=names)


@dataclass
class FlowBatch:
    batch: Batch
    mass_kg: float
    kinds: list[str]


@dataclass
class FlowDetail:
    """One flow and the batches behind it, each with the mass it carried in this flow."""

    source: str
    target: str
    material: str
    mass_kg: float
    batches: list[FlowBatch]
    total_batches: int


def flow_batches(
    session: Session, data: CustodyData, source: str, target: str, material: str = "*"
) -> FlowDetail:
    """The batches behind the flow source -> target (of one material, or "*" for all).

    Raises NotFound when the period has no such flow.
    """
    table = _table(data, data.records)
    index = {n: i for i, n in enumerate(table.nodes)}
    if source not in index or target not in index:
        raise NotFound("The period has no such flow.", "source")
    hit = (table.source == index[source]) & (table.target == index[target])
    masses: dict[str, float] = {}
    kinds: dict[str, list[str]] = {}
    for i in hit.nonzero()[0].tolist():
        record = data.records[i]
        if material != "*" and record.material != material:
            continue
        masses[record.batch_id] = masses.get(record.batch_id, 0.0) + record.mass_kg
        kinds.setdefault(record.batch_id, [])
        if data.reasons[i] not in kinds[record.batch_id]:
            kinds[record.batch_id].append(data.reasons[i])
    if not masses:
        raise NotFound("The period has no such flow.", "source")
    codes = sorted(masses, key=lambda c: (-masses[c], c))[:MAX_BATCHES]
    rows = {b.code: b for b in session.exec(select(Batch).where(Batch.code.in_(codes))).all()}
    return FlowDetail(
        source=source,
        target=target,
        material=material,
        mass_kg=sum(masses.values()),
        batches=[FlowBatch(rows[c], masses[c], kinds[c]) for c in codes if c in rows],
        total_batches=len(masses),
    )
