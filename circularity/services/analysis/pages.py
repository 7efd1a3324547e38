"""What each analysis and dashboard page shows, gathered in one call per page.

A view parses the request, calls one function here and renders its answer: the figures, the
names they are shown with and the rows of each table already paired with what they link to,
so a template neither asks for more nor joins lists by position.
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from circularity.models import Company
from circularity.services import accounts, catalogue
from circularity.services.analysis import dashboard, figures, records, tables
from circularity.services.catalogue import Material
from mfa.model import Flow
from mfa.sankey import SankeyLayout


def period_args(period: records.Period) -> dict[str, str]:
    """The period as the query arguments of a link to an analysis page."""
    return {"start": period.first.isoformat(), "end": period.last.isoformat()}


@dataclass
class AnalysisPage:
    """Indicators, flows and the Sankey diagram of the park, one company or one material."""

    period: records.Period
    scope: figures.Scope
    by: str
    figures: figures.Indicators
    flows: list[Flow]
    diagram: SankeyLayout
    names: dict[str, str]
    companies: list[Company]
    materials: dict[str, Material]


def analysis_page(
    session: Session,
    period: records.Period,
    company: str | None,
    material: str | None,
    by: str | None,
) -> AnalysisPage:
    """Raises NotFound or InvalidInput naming the field of a bad company, material or grouping."""
    scope = figures.parse_scope(session, company, material)
    grouping = figures.parse_grouping(by)
    data = records.custody_data(session, period)
    table = figures.scope_table(data, scope)
    flows = figures.scoped_flows(data, scope, grouping, table)
    return AnalysisPage(
        period=period,
        scope=scope,
        by=grouping,
        figures=figures.indicators(data, scope, table),
        flows=flows,
        diagram=figures.sankey_of(flows, data.names, grouping),
        names=data.names,
        companies=accounts.companies(session, active_only=False),
        materials=catalogue.materials(),
    )


def scoped_sankey(
    session: Session,
    period: records.Period,
    company: str | None,
    material: str | None,
    by: str | None,
) -> tuple[figures.Scope, SankeyLayout]:
    """The scope and its Sankey diagram alone, for the downloads."""
    scope = figures.parse_scope(session, company, material)
    grouping = figures.parse_grouping(by)
    return scope, figures.sankey(records.custody_data(session, period), scope, grouping)


@dataclass
class ReconcilePage:
    period: records.Period
    report: figures.ReconciliationReport
    names: dict[str, str]
    tolerance: float


def reconcile_page(session: Session, period: records.Period) -> ReconcilePage:
    """The reconciliation of the period's reported flows and each company's imbalance."""
    data = records.custody_data(session, period)
    return ReconcilePage(
        period, figures.reconciliation(data), data.names, figures.BALANCE_TOLERANCE
    )


@dataclass
class FlowPage:
    period: records.Period
    detail: figures.FlowDetail
    names: dict[str, str]
    max_batches: int


def flow_page(
    session: Session, period: records.Period, source: str, target: str, material: str
) -> FlowPage:
    """The batches behind one flow; raises NotFound when the period has no such flow."""
    data = records.custody_data(session, period)
    detail = figures.flow_batches(session, data, source, target, material)
    return FlowPage(period, detail, data.names, figures.MAX_BATCHES)


@dataclass
class DashboardPage:
    """The dashboard of one window, its tables' rows each paired with what it links to."""

    board: dashboard.Dashboard
    names: dict[str, str]
    #: The tables the page shows, and the title of every figure's CSV file (tables.FIGURES).
    tables: dict[str, tables.Table]
    titles: dict[str, str]
    headline: list[tuple[str, str, str]]
    #: Recycling and landfill diversion rates in per cent, "" when nothing was treated.
    recycling_rate: str
    diversion_rate: str
    #: Month by month: the month's period arguments and its row of the trend table.
    trend: list[tuple[dict[str, str], list[str]]]
    #: The rates of each month for the sparklines, None for a month without closings.
    recycling_trend: list[float | None]
    diversion_trend: list[float | None]
    streams: list[tuple[dashboard.Stream, list[str]]]
    companies: list[tuple[dashboard.CompanyRow, list[str]]]
    diagram: SankeyLayout
    period_args: dict[str, str]


def dashboard_page(
    session: Session, choice: str | None, today: date | None = None
) -> DashboardPage:
    """The dashboard for a year or the last 12 months; InvalidInput for another period."""
    window = dashboard.parse_window(choice, today)
    board = dashboard.dashboard(session, window)
    names = records.process_names(session)
    figure_tables = tables.tables(board, names, ("trend", "streams", "companies", "balance"))
    recycling, diversion = tables.rates_of(board.park)
    rates = [tables.rates_of(f) for _month, f in board.trend]
    months = {m: period_args(dashboard.Window(m, (m,)).period) for m in window.months}
    return DashboardPage(
        board=board,
        names=names,
        tables=figure_tables,
        titles=tables.titles(),
        headline=tables.headline(board),
        recycling_rate=tables.percent(recycling),
        diversion_rate=tables.percent(diversion),
        trend=[(months[row[0]], row) for row in figure_tables["trend"].rows],
        recycling_trend=[r for r, _d in rates],
        diversion_trend=[d for _r, d in rates],
        streams=list(zip(board.streams, figure_tables["streams"].rows, strict=True)),
        companies=list(zip(board.companies, figure_tables["companies"].rows, strict=True)),
        diagram=figures.sankey_of(board.flows, names, "company"),
        period_args=period_args(window.period),
    )
