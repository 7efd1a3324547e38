"""The dashboard's and the analysis pages' figures, filled from what services.analysis returns
to those pages, each with the formula and the section of docs/methods.md or docs/carbon.md it
comes from. Masses of the dashboard are exact grams (its monthly totals); the analysis pages
compute from the event log in kilograms, as the pages show them."""

import math
from datetime import date

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, Field

from circularity.api.schemas.common import CompanyRef, MaterialOut, material
from circularity.services.analysis import dashboard, figures, pages, records, tables
from mfa.model import Flow


def finite(value: float | None) -> float | None:
    """A figure mfa leaves undefined (NaN, infinite) is answered as null, never as NaN."""
    return None if value is None or not math.isfinite(value) else float(value)


class Source(BaseModel):
    figure: str = Field(description="The field of this answer the source is for")
    formula: str
    reference: str = Field(description="Where the method and its citations are written down")


#: (figure, formula, reference) of every figure with a formula; the words are the pages'.
SOURCES = {
    "recycling_rate": (
        _l("recycled (R2-R11) / finally treated (every route except R12, R13, D8, D9, D13-D15)"),
        "docs/methods.md, Circularity indicators: Recycling rate",
    ),
    "landfill_diversion_rate": (
        _l("1 − landfilled (D1, D5, D12) / finally treated"),
        "docs/methods.md, Circularity indicators: Landfill diversion rate",
    ),
    "outflow_share": (
        _l("Σ mass × recovery potential × actual recovery / Σ mass leaving each company"),
        "docs/methods.md, Circularity indicators: % circular outflow (WBCSD CTI v4.0)",
    ),
    "symbiosis": (
        _l(
            "share of waste = exchange mass / (exchange mass + mass sent to disposal, energy "
            "recovery, release, export or lost); closed loops: cycles of up to 6 companies"
        ),
        "docs/methods.md, Circularity indicators: Symbiosis network",
    ),
    "carbon": (
        _l(
            "balance = the inventory of the eight key areas; path = straight line from the "
            "baseline year to zero in the target year; gap = inventory − path; avoided "
            "emissions are their own line, never subtracted"
        ),
        "docs/carbon.md, The district balance and the path",
    ),
    "reconciliation": (
        _l(
            "weighted least squares over the reported flows and stock changes; consistent "
            "when p ≥ 0.05; a quantity is flagged when its z exceeds the Šidák-corrected "
            "critical value"
        ),
        "docs/methods.md, Reconciliation; Uncertainty defaults",
    ),
    "balances": (
        _l("imbalance = inputs − outputs − stock change"),
        "docs/methods.md, Mass balance",
    ),
    "dashboard": (
        _l("exact gram sums of the monthly totals kept with every event"),
        "docs/carbon.md, Dashboard",
    ),
}


def sources(*names: str) -> list[Source]:
    return [
        Source(figure=name, formula=str(SOURCES[name][0]), reference=SOURCES[name][1])
        for name in names
    ]


class NotComputed(BaseModel):
    figure: str
    reason: str
    reference: str


#: The indicators the analysis page shows as "not computed", and what custody lacks for them.
NOT_COMPUTED = (
    (
        "circular_material_use_rate",
        _l("DMC, the virgin material the companies use, is not recorded by custody events."),
        "docs/methods.md, Circularity indicators: Circular material use rate",
    ),
    (
        "circular_inflow",
        _l("The total inflow (virgin materials included) and renewable inputs are not recorded."),
        "docs/methods.md, Circularity indicators: % circular inflow",
    ),
    (
        "material_circularity_indicator",
        _l("The product data the MCI needs are not recorded with custody events."),
        "docs/methods.md, Circularity indicators: Material Circularity Indicator",
    ),
)


class FlowOut(BaseModel):
    source: str = Field(description="A company (c<id>) or a boundary node: generation, landfill")
    source_name: str
    target: str
    target_name: str
    material: str = Field(description="List-of-Waste code, or * for every material")
    mass_kg: float
    batches: int | None = Field(description="Batches behind it (analysis); None on the dashboard")


def flow_out(flow: Flow, names: dict[str, str], counted: bool = True) -> FlowOut:
    return FlowOut(
        source=flow.source,
        source_name=names.get(flow.source, flow.source),
        target=flow.target,
        target_name=names.get(flow.target, flow.target),
        material=flow.material,
        mass_kg=flow.mass_kg,
        batches=len(flow.batch_ids) if counted else None,
    )


class SymbiosisOut(BaseModel):
    exchanges: int = Field(description="Pairs of companies with mass flowing between them")
    exchange_mass_kg: float
    companies_linked: int
    waste_to_companies_share: float
    closed_loops: int
    loops_capped: bool = Field(description="closed_loops is a lower bound")
    loops: list[list[str]] = Field(description="Up to 20 loops, as process ids")


def symbiosis_out(found) -> SymbiosisOut:
    return SymbiosisOut(
        exchanges=found.exchanges,
        exchange_mass_kg=found.exchange_mass_kg,
        companies_linked=found.companies_linked,
        waste_to_companies_share=found.waste_to_companies_share,
        closed_loops=found.closed_loops,
        loops_capped=found.loops_capped,
        loops=[list(cycle) for cycle in found.loops[:20]],
    )


class WindowOut(BaseModel):
    choice: str = Field(description="12m (the last 12 months) or a year")
    months: list[str] = Field(description="YYYY-MM, oldest first")
    first: date
    last: date


class MassesOut(BaseModel):
    """Exact grams of whole months, and the rates on them (None when nothing was treated)."""

    generated_g: int
    registered_g: int
    lost_g: int
    shipped_g: int
    received_g: int
    exchanged_g: int = Field(description="Shipped from one company to another")
    treated_g: int = Field(description="Finally treated: closings by every non-preliminary route")
    by_fate_g: dict[str, int] = Field(description="Closings by fate: recycling, landfill ...")
    records: int
    recycling_rate: float | None
    landfill_diversion_rate: float | None


def masses(f: dashboard.Figures) -> dict:
    recycling, diversion = tables.rates_of(f)
    return dict(
        generated_g=f.generated_g,
        registered_g=f.registered_g,
        lost_g=f.lost_g,
        shipped_g=f.shipped_g,
        received_g=f.received_g,
        exchanged_g=f.exchanged_g,
        treated_g=f.treated_g,
        by_fate_g=dict(f.by_fate_g),
        records=f.records,
        recycling_rate=recycling,
        landfill_diversion_rate=diversion,
    )


class MonthOut(MassesOut):
    month: str


class CompanyFigures(MassesOut):
    company: CompanyRef


class StreamOut(BaseModel):
    company: CompanyRef
    material: str = Field(description="List-of-Waste code")
    sink: str = Field(description="landfill or incineration")
    sink_name: str
    mass_g: int
    batches: int = Field(description="Closings behind it")


class HeadlineOut(BaseModel):
    name: str
    value: str = Field(description="As the page prints it: t with 3 decimals, % with 1")
    unit: str


class CarbonPeriodOut(BaseModel):
    year: int
    month: int = Field(description="0: the whole year")
    inventory_t: float = Field(description="The balance: t CO2e of the key areas")
    path_t: float | None
    gap_t: float | None = Field(description="inventory_t − path_t")
    avoided_t: float = Field(description="Avoided emissions, own line, never subtracted")
    provisional_t: float = Field(description="Of avoided_t, credits still provisional")
    net_memo_t: float = Field(description="Memo item: inventory_t − avoided_t, not the balance")
    missing_areas: list[str]


def carbon_period(p) -> CarbonPeriodOut:
    return CarbonPeriodOut(
        year=p.year,
        month=p.month,
        inventory_t=p.inventory_t,
        path_t=finite(p.path_t),
        gap_t=finite(p.gap_t),
        avoided_t=p.avoided_t,
        provisional_t=p.provisional_t,
        net_memo_t=p.net_memo_t,
        missing_areas=list(p.missing_areas),
    )


class CarbonOut(BaseModel):
    illustrative: bool = Field(description="Some inventory figure is the demo park's example")
    target_year: int
    baseline_year: int | None
    baseline_t: float | None
    years: list[CarbonPeriodOut]
    months: list[CarbonPeriodOut] = Field(description="The window's months that have figures")


class DashboardOut(BaseModel):
    window: WindowOut
    park: MassesOut
    headline: list[HeadlineOut] = Field(description="The page's headline table, as shown")
    trend: list[MonthOut] = Field(description="Month by month, oldest first")
    companies: list[CompanyFigures] = Field(description="Most treated first")
    streams: list[StreamOut] = Field(description="The 10 largest to landfill or incineration")
    flows: list[FlowOut]
    symbiosis: SymbiosisOut
    carbon: CarbonOut
    sources: list[Source]


def dashboard_out(page: pages.DashboardPage) -> DashboardOut:
    board, names = page.board, page.names
    window, carbon = board.window, board.carbon
    return DashboardOut(
        window=WindowOut(
            choice=window.choice,
            months=list(window.months),
            first=window.period.first,
            last=window.period.last,
        ),
        park=MassesOut(**masses(board.park)),
        headline=[HeadlineOut(name=n, value=v, unit=u) for n, v, u in page.headline],
        trend=[MonthOut(month=m, **masses(f)) for m, f in board.trend],
        companies=[
            CompanyFigures(
                company=CompanyRef(id=r.company.id, name=r.company.name), **masses(r.figures)
            )
            for r in board.companies
        ],
        streams=[
            StreamOut(
                company=CompanyRef(id=s.company.id, name=s.company.name),
                material=s.material,
                sink=s.sink,
                sink_name=names.get(s.sink, s.sink),
                mass_g=s.mass_g,
                batches=s.batches,
            )
            for s in board.streams
        ],
        flows=[flow_out(f, names, counted=False) for f in board.flows],
        symbiosis=symbiosis_out(board.symbiosis),
        carbon=CarbonOut(
            illustrative=carbon.illustrative,
            target_year=carbon.target_year,
            baseline_year=carbon.baseline_year,
            baseline_t=finite(carbon.baseline_t),
            years=[carbon_period(p) for p in carbon.years],
            months=[carbon_period(p) for p in board.carbon_window],
        ),
        sources=sources(
            "dashboard", "recycling_rate", "landfill_diversion_rate", "symbiosis", "carbon"
        ),
    )


class DashboardQuery(BaseModel):
    period: str | None = Field(
        None, max_length=10, description="12m (the default: the last 12 months) or a year"
    )


class PeriodQuery(BaseModel):
    start: str | None = Field(None, max_length=20, description="YYYY-MM-DD; 90 days to end")
    end: str | None = Field(None, max_length=20, description="YYYY-MM-DD; today by default")


class AnalysisQuery(PeriodQuery):
    company: str | None = Field(None, max_length=12, description="A company's id")
    material: str | None = Field(None, max_length=20, description="A List-of-Waste code")
    by: str | None = Field(None, max_length=10, description="company (default) or material")


class FlowQuery(PeriodQuery):
    source: str = Field(max_length=40, description="A flow's source, as flows name it")
    target: str = Field(max_length=40, description="A flow's target")
    material: str | None = Field(None, max_length=20, description="Its material, * for all")


class PeriodOut(BaseModel):
    first: date
    last: date = Field(description="Included")


def period_out(period: records.Period) -> PeriodOut:
    return PeriodOut(first=period.first, last=period.last)


class ScopeOut(BaseModel):
    kind: str = Field(description="park, company or material")
    company: CompanyRef | None
    material: MaterialOut | None


def scope_out(scope: figures.Scope, names: dict[str, str]) -> ScopeOut:
    company = None
    if scope.company:
        company = CompanyRef(id=int(scope.company[1:]), name=names.get(scope.company, ""))
    return ScopeOut(
        kind=scope.kind,
        company=company,
        material=material(scope.material) if scope.material else None,
    )


class RatesOut(BaseModel):
    treated_kg: float
    by_fate_kg: dict[str, float]
    recycled_kg: float
    recycling_rate: float | None
    landfill_diversion_rate: float | None


class OutflowOut(BaseModel):
    process: str
    name: str
    outflow_kg: float
    circular: float = Field(description="Share of the outflow recovered, 0 to 1")


class AnalysisOut(BaseModel):
    period: PeriodOut
    scope: ScopeOut
    by: str = Field(description="What the flows are grouped by")
    rates: RatesOut
    secondary_inflow_kg: float = Field(description="Received as tracked batches")
    outflow: list[OutflowOut]
    outflow_share: float | None = Field(description="% circular outflow, 0 to 1")
    symbiosis: SymbiosisOut
    records: int = Field(description="Custody records in the scope")
    materials: list[str]
    flows: list[FlowOut]
    not_computed: list[NotComputed]
    sources: list[Source]


def analysis_out(page: pages.AnalysisPage) -> AnalysisOut:
    f, names = page.figures, page.names
    return AnalysisOut(
        period=period_out(page.period),
        scope=scope_out(page.scope, names),
        by=page.by,
        rates=RatesOut(
            treated_kg=f.rates.treated_kg,
            by_fate_kg=dict(f.rates.by_fate_kg),
            recycled_kg=f.recycled_kg,
            recycling_rate=finite(f.rates.recycling_rate),
            landfill_diversion_rate=finite(f.rates.landfill_diversion_rate),
        ),
        secondary_inflow_kg=f.secondary_inflow_kg,
        outflow=[
            OutflowOut(
                process=row.process,
                name=names.get(row.process, row.process),
                outflow_kg=row.outflow_kg,
                circular=row.circular,
            )
            for row in f.outflow
        ],
        outflow_share=finite(f.outflow_share),
        symbiosis=symbiosis_out(f.symbiosis),
        records=f.records,
        materials=f.materials,
        flows=[flow_out(flow, names) for flow in page.flows],
        not_computed=[
            NotComputed(figure=name, reason=str(reason), reference=reference)
            for name, reason, reference in NOT_COMPUTED
        ],
        sources=sources("recycling_rate", "landfill_diversion_rate", "outflow_share", "symbiosis"),
    )


class EstimateOut(BaseModel):
    measured: float | None = Field(description="As reported")
    value: float | None = Field(description="Reconciled")
    sd: float | None
    adjustment: float | None
    test: float | None = Field(description="z: the adjustment over its standard deviation")
    flagged: bool


def estimate(e) -> EstimateOut:
    return EstimateOut(
        measured=finite(e.measured),
        value=finite(e.value),
        sd=finite(e.sd),
        adjustment=finite(e.adjustment),
        test=finite(e.test),
        flagged=e.flagged,
    )


class FlowCheckOut(FlowOut):
    estimate: EstimateOut


class StockCheckOut(BaseModel):
    process: str
    name: str
    estimate: EstimateOut


class BalanceOut(BaseModel):
    process: str
    name: str
    inputs_kg: float
    outputs_kg: float
    stock_change_kg: float
    imbalance_kg: float
    relative: float = Field(description="|imbalance| / the larger of inputs and outputs")
    unbalanced: bool = Field(description="relative above the tolerance")


class ReconcileOut(BaseModel):
    period: PeriodOut
    consistent: bool
    chi_square: float | None
    dof: int
    p_value: float | None
    critical_value: float | None
    tested: int = Field(description="Quantities whose adjustment has a standard deviation")
    discrepancies: int = Field(description="Receipt discrepancies and corrections left out")
    flows: list[FlowCheckOut]
    flagged: list[FlowCheckOut] = Field(description="Largest z first")
    flagged_stocks: list[StockCheckOut]
    balances: list[BalanceOut]
    tolerance: float
    sources: list[Source]


def reconcile_out(page: pages.ReconcilePage) -> ReconcileOut:
    report, names = page.report, page.names
    result = report.result
    unbalanced = {b.process for b in report.unbalanced}

    def check(c) -> FlowCheckOut:
        return FlowCheckOut(**flow_out(c.flow, names).model_dump(), estimate=estimate(c.estimate))

    return ReconcileOut(
        period=period_out(page.period),
        consistent=result.consistent,
        chi_square=finite(result.chi_square),
        dof=result.dof,
        p_value=finite(result.p_value),
        critical_value=finite(result.critical_value),
        tested=result.tested,
        discrepancies=report.discrepancies,
        flows=[check(c) for c in report.flows],
        flagged=[check(c) for c in report.flagged],
        flagged_stocks=[
            StockCheckOut(process=p, name=names.get(p, p), estimate=estimate(e))
            for p, e in report.flagged_stocks
        ],
        balances=[
            BalanceOut(
                process=b.process,
                name=names.get(b.process, b.process),
                inputs_kg=b.inputs_kg,
                outputs_kg=b.outputs_kg,
                stock_change_kg=b.stock_change_kg,
                imbalance_kg=b.imbalance_kg,
                relative=b.relative,
                unbalanced=b.process in unbalanced,
            )
            for b in report.balances
        ],
        tolerance=page.tolerance,
        sources=sources("reconciliation", "balances"),
    )


class FlowBatchOut(BaseModel):
    batch: str = Field(description="The batch's label code")
    material: str
    mass_kg: float = Field(description="What it carried in this flow")
    kinds: list[str] = Field(description="The operations behind it: register, ship ...")


class FlowDetailOut(BaseModel):
    period: PeriodOut
    source: str
    source_name: str
    target: str
    target_name: str
    material: str
    mass_kg: float
    total_batches: int
    batches: list[FlowBatchOut] = Field(description="Heaviest first, at most max_batches")
    max_batches: int


def flow_detail_out(page: pages.FlowPage) -> FlowDetailOut:
    detail, names = page.detail, page.names
    return FlowDetailOut(
        period=period_out(page.period),
        source=detail.source,
        source_name=names.get(detail.source, detail.source),
        target=detail.target,
        target_name=names.get(detail.target, detail.target),
        material=detail.material,
        mass_kg=detail.mass_kg,
        total_batches=detail.total_batches,
        batches=[
            FlowBatchOut(
                batch=b.batch.code,
                material=b.batch.material_code,
                mass_kg=b.mass_kg,
                kinds=b.kinds,
            )
            for b in detail.batches
        ],
        max_batches=page.max_batches,
    )
