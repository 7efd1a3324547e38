"""The park management dashboard's figures, read from the monthly totals only.

Every figure here is the one the analysis pages compute from the event log for the same whole
months (circularity.services.analysis.figures), computed from the exact gram totals of
circularity.services.analysis.monthly_totals instead of the log, so a page answers in
milliseconds for a park of a million events. The dashboard's period is whole months: a calendar
year or the twelve months up to the current one. The trends are the same figures month by month.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import BigInteger, and_, cast
from sqlmodel import Session, col, func, select

from circularity import times
from circularity.models import Company, MonthlyFlow
from circularity.services.analysis import records
from circularity.services.carbon import balance
from circularity.services.errors import InvalidInput
from mfa.indicators import SymbiosisFigures, landfill_diversion_rate, recycling_rate, symbiosis
from mfa.model import ATMOSPHERE, GENERATION, TRANSFORMATION, Flow, RecordKind
from mfa.routes import ROUTES, Fate

LAST_12 = "12m"
#: Fates whose streams are the biggest opportunities: mass leaving the loop for good.
LOST_FATES = (Fate.LANDFILL, Fate.INCINERATION)
TOP_STREAMS = 10


@dataclass(frozen=True)
class Window:
    """Whole calendar months in the park's time zone, ``months`` as "YYYY-MM", oldest first."""

    choice: str
    months: tuple[str, ...]

    @property
    def period(self) -> records.Period:
        """The same days as an analysis period, for links and for comparing figures."""
        return records.Period(times.first_day(self.months[0]), times.last_day(self.months[-1]))


def parse_window(value: str | None, today: date | None = None) -> Window:
    """A year ("2025") or the last 12 months ("12m", the default); InvalidInput otherwise."""
    today = today or datetime.now(times.park_timezone()).date()
    choice = (value or LAST_12).strip()
    if choice == LAST_12:
        return Window(choice, times.months_up_to(today, 12))
    if choice.isascii() and choice.isdigit() and int(choice) in balance.YEARS:
        return Window(choice, times.months_of_year(int(choice)))
    raise InvalidInput("Choose a year from 2000 to 2100 or the last 12 months.", "period")


@dataclass
class Figures:
    """Masses (exact grams) of one set of months, and the rates built on them.

    ``closed_g`` is what the closings of each fate took in and ``produced_g`` what they put
    out as new batches; ``by_fate_g`` counts each tonne once (mfa.indicators.net_by_fate).
    """

    generated_g: int = 0
    registered_g: int = 0
    lost_g: int = 0
    shipped_g: int = 0
    received_g: int = 0
    exchanged_g: int = 0
    closed_g: dict[str, int] = field(default_factory=lambda: {f.value: 0 for f in Fate})
    produced_g: dict[str, int] = field(default_factory=lambda: {f.value: 0 for f in Fate})
    records: int = 0

    @property
    def by_fate_g(self) -> dict[str, int]:
        """Grams that ended in each fate: closed there less what those closings produced."""
        return {f: max(g - self.produced_g[f], 0) for f, g in self.closed_g.items()}

    @property
    def treated_g(self) -> int:
        """Mass finally treated: every closing except the preliminary routes (mfa.routes)."""
        return sum(g for fate, g in self.by_fate_g.items() if fate != Fate.PRELIMINARY)

    @property
    def recycling_rate(self) -> float:
        return recycling_rate(self.by_fate_g[Fate.RECYCLING] / 1000, self.treated_g / 1000)

    @property
    def landfill_diversion_rate(self) -> float:
        return landfill_diversion_rate(self.by_fate_g[Fate.LANDFILL] / 1000, self.treated_g / 1000)

    def add(self, row, shipped: bool, received: bool, exchanged: bool) -> None:
        """Count one total (kind, reason, route, mass_g, records); a shipment counts as shipped,
        received and exchanged as the park or one company sees it (exchanged: delivered
        between two producing companies, neither of them waste management)."""
        self.records += row.records
        if row.kind == RecordKind.SHIPMENT:
            self.shipped_g += row.mass_g if shipped else 0
            self.received_g += row.mass_g if received else 0
            self.exchanged_g += row.mass_g if exchanged else 0
        elif row.kind == RecordKind.GENERATION:
            self.generated_g += row.mass_g
            self.registered_g += row.mass_g if row.reason == "register" else 0
        elif row.kind == RecordKind.LOSS:
            self.lost_g += row.mass_g
        elif row.kind == RecordKind.CLOSING:
            self.closed_g[ROUTES[row.route].fate.value] += row.mass_g
        elif row.kind == RecordKind.TREATMENT and row.route in ROUTES:
            self.produced_g[ROUTES[row.route].fate.value] += row.mass_g


@dataclass
class CompanyRow:
    company: Company
    figures: Figures


@dataclass
class Stream:
    """Mass of one material one company sent to landfill or incineration."""

    company: Company
    material: str
    sink: str
    mass_g: int
    batches: int


@dataclass
class Dashboard:
    window: Window
    park: Figures
    trend: list[tuple[str, Figures]]
    companies: list[CompanyRow]
    streams: list[Stream]
    flows: list[Flow]
    carbon: balance.Balance
    carbon_window: list[balance.Period]
    #: Processes of the waste-management companies: deliveries to them are not exchanges.
    waste_management: frozenset[str] = frozenset()

    @cached_property
    def symbiosis(self) -> SymbiosisFigures:
        """The exchange network; computed when shown (cycles are the costly part)."""
        return symbiosis(self.flows, self.waste_management)


def totals(session: Session, window: Window, *keep, where: tuple = ()) -> list:
    """The window's totals summed in the database over every key column not in ``keep``
    (MonthlyFlow columns or labelled expressions), as rows of those columns, ``mass_g`` and
    ``records``: a page reads a few hundred sums, not the tens of thousands of rows of a
    large park."""
    columns = [getattr(MonthlyFlow, c) if isinstance(c, str) else c for c in keep]
    query = (
        select(
            *columns,
            # Whole numbers on PostgreSQL too, whose sum of a bigint is a numeric.
            cast(func.sum(MonthlyFlow.mass_g), BigInteger).label("mass_g"),
            cast(func.sum(MonthlyFlow.records), BigInteger).label("records"),
        )
        # The window's months are consecutive "YYYY-MM": a range, cheaper to build than IN.
        .where(col(MonthlyFlow.month).between(window.months[0], window.months[-1]), *where)
        .group_by(*columns)
    )
    return session.exec(query).all()


def flows(rows: list, period: str = "") -> list[Flow]:
    """The window's flows per source, target and material, as mfa.model.build_flows makes
    them from the records (without the batch lists, which the drill-down pages show)."""
    mass: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        company = records.process_id(row.company_id)
        if row.kind == RecordKind.SHIPMENT:
            edge = (company, records.process_id(row.partner_id))
        elif row.kind == RecordKind.GENERATION:
            edge = (GENERATION, company)
        elif row.kind == RecordKind.TREATMENT:
            edge = (TRANSFORMATION, company)
        elif row.kind == RecordKind.LOSS:
            edge = (company, ATMOSPHERE)
        else:
            edge = (company, ROUTES[row.route].sink)
        mass[(*edge, getattr(row, "material_code", "") or "*")] += row.mass_g
    return [
        Flow(f"{s}->{t}:{m}", s, t, m, period, g / 1000, None, ())
        for (s, t, m), g in sorted(mass.items())
    ]


def dashboard(session: Session, window: Window) -> Dashboard:
    """Every figure of the dashboard for the window, from three sums over the monthly totals,
    plus the carbon balance (circularity.services.carbon.balance)."""
    park = Figures()
    by_month: dict[str, Figures] = {m: Figures() for m in window.months}
    companies = {c.id: c for c in session.exec(select(Company)).all()}
    disposers = [c.id for c in companies.values() if c.kind == records.WASTE_MANAGEMENT]
    # The park and its months need only whether a shipment went from one producing company
    # to another, not who sent it.
    exchanged = and_(
        MonthlyFlow.company_id != MonthlyFlow.partner_id,
        col(MonthlyFlow.company_id).not_in(disposers),
        col(MonthlyFlow.partner_id).not_in(disposers),
    ).label("exchanged")
    for row in totals(session, window, "month", "kind", "reason", "route", exchanged):
        park.add(row, True, True, bool(row.exchanged))
        by_month[row.month].add(row, True, True, bool(row.exchanged))
    by_company: dict[int, Figures] = defaultdict(Figures)
    edges = totals(session, window, "kind", "reason", "route", "company_id", "partner_id")
    for row in edges:
        at, to = row.company_id, row.partner_id
        between = at != to and at not in disposers and to not in disposers
        for company in {at, to} - {0}:
            by_company[company].add(row, at == company, to == company, between)
    streams = sorted(
        (
            Stream(companies[company], material, sink, mass_g, batches)
            for (company, material, sink), (mass_g, batches) in _lost_streams(
                session, window
            ).items()
        ),
        key=lambda x: (-x.mass_g, x.company.name, x.material, x.sink),
    )
    carbon = balance.balance(session)
    year_months = {times.year_month(m) for m in window.months}
    return Dashboard(
        window=window,
        park=park,
        trend=list(by_month.items()),
        companies=sorted(
            (CompanyRow(companies[c], f) for c, f in by_company.items()),
            key=lambda r: (-r.figures.treated_g, r.company.name),
        ),
        streams=streams[:TOP_STREAMS],
        flows=flows(edges, f"{window.months[0]}..{window.months[-1]}"),
        carbon=carbon,
        carbon_window=[p for p in carbon.months if (p.year, p.month) in year_months],
        waste_management=frozenset(records.process_id(c) for c in disposers),
    )


def _lost_streams(session: Session, window: Window) -> dict[tuple[int, str, str], list[int]]:
    """Grams and records per company, material and sink of the closings to landfill or
    incineration: one stream per sink, as D1, D5 and D12 all go to landfill."""
    lost_routes = [code for code, r in ROUTES.items() if r.fate in LOST_FATES]
    merged: dict[tuple[int, str, str], list[int]] = {}
    rows = totals(
        session,
        window,
        "company_id",
        "material_code",
        "route",
        where=(
            MonthlyFlow.kind == RecordKind.CLOSING.value,
            col(MonthlyFlow.route).in_(lost_routes),
        ),
    )
    for r in rows:
        key = (r.company_id, r.material_code, ROUTES[r.route].sink)
        sums = merged.setdefault(key, [0, 0])
        sums[0] += r.mass_g
        sums[1] += r.records
    return merged
