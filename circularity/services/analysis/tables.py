"""The dashboard's figures as tables of text: one source for the page, the CSV files and the PDF.

Each table is a title, a header and rows of cells, so a number has the same digits wherever
it is shown: masses in tonnes with three decimals (exact to the kilogram, from the integer
grams), rates in per cent and tonnes of CO2e with one decimal. A number is a ``Figure``: its
text is the one fixed form the CSV files carry ("7043.357"), and ``shown`` writes it as the
reader's locale does for a page or the PDF report ("7.043,357" in German, where "7043.357"
would read as seven million).
"""

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import gettext as _

from circularity.services.analysis.dashboard import Dashboard, Figures
from circularity.services.csv_export import csv_text
from circularity.services.numbers import current_locale

FIGURES = ("indicators", "trend", "streams", "companies", "balance", "flows")


class Figure(str):
    """A number in a table: the text is its fixed, machine-readable form (a decimal point, no
    grouping), ``value`` and ``decimals`` what ``shown`` formats for a reader."""

    value: Decimal
    decimals: int

    def __new__(cls, value: Decimal, decimals: int) -> "Figure":
        figure = super().__new__(cls, f"{value:.{decimals}f}")
        figure.value, figure.decimals = value, decimals
        return figure


def shown(cell: str) -> str:
    """A cell as the reader's locale writes numbers (grouped, its decimal sign, the same
    digits); text that is not a Figure as it is."""
    if not isinstance(cell, Figure):
        return cell
    pattern = "#,##0." + "0" * cell.decimals if cell.decimals else "#,##0"
    return format_decimal(cell.value, format=pattern, locale=current_locale())


def tonnes(grams: int) -> Figure:
    """Tonnes with three decimals, exact to the kilogram from the integer grams."""
    return Figure(Decimal(grams) / 1_000_000, 3)


def count(n: int) -> Figure:
    return Figure(Decimal(n), 0)


def percent(share: float | None) -> str:
    return "" if share is None else Figure(Decimal(share * 100), 1)


def t_co2e(value: float | None) -> str:
    return "" if value is None else Figure(Decimal(value), 1)


@dataclass
class Table:
    name: str
    title: str
    header: list[str]
    rows: list[list[str]]

    def csv(self) -> str:
        """The table as a CSV download, safe to open in a spreadsheet."""
        return csv_text([self.header, *self.rows])


def headline(board: Dashboard) -> list[tuple[str, str, str]]:
    """(name, value, unit) of each headline figure, in the order the page shows them."""
    park, net = board.park, board.symbiosis
    recycling, diversion = rates_of(park)
    return [
        (_("Recycling rate"), percent(recycling), "%"),
        (_("Landfill diversion rate"), percent(diversion), "%"),
        (_("Finally treated"), tonnes(park.treated_g), "t"),
        (_("Recycled (R2-R11)"), tonnes(park.by_fate_g["recycling"]), "t"),
        (_("Landfilled (D1, D5, D12)"), tonnes(park.by_fate_g["landfill"]), "t"),
        (_("Incinerated (D10, D11)"), tonnes(park.by_fate_g["incineration"]), "t"),
        (_("Energy recovery (R1)"), tonnes(park.by_fate_g["energy_recovery"]), "t"),
        (_("Registered"), tonnes(park.registered_g), "t"),
        (_("Exchanged between companies"), tonnes(park.exchanged_g), "t"),
        (_("Share of waste going to another company"), percent(net.waste_to_companies_share), "%"),
        (_("Companies linked"), count(net.companies_linked), ""),
        (_("Closed loops"), count(net.closed_loops), ""),
    ]


def rates_of(f: Figures) -> tuple[float | None, float | None]:
    """Recycling and landfill diversion rates, or None for a month in which nothing was
    treated: mfa answers 0 there, but a month without closings has no rate, not a bad one."""
    if not f.treated_g:
        return None, None
    return f.recycling_rate, f.landfill_diversion_rate


def _figures_row(f: Figures) -> list[str]:
    recycling, diversion = rates_of(f)
    return [
        tonnes(f.treated_g),
        tonnes(f.by_fate_g["recycling"]),
        tonnes(f.by_fate_g["landfill"]),
        tonnes(f.by_fate_g["incineration"]),
        percent(recycling),
        percent(diversion),
    ]


def tables(board: Dashboard, names: dict[str, str], only=FIGURES) -> dict[str, Table]:
    """The dashboard's figures as tables keyed by their CSV names (FIGURES), or only some."""
    return {name: table(board, names, name) for name in only}


def titles() -> dict[str, str]:
    """The title of each figure's table, by its CSV name, without building the tables."""
    return {
        "indicators": _("Indicators"),
        "trend": _("Month by month"),
        "streams": _("Largest streams to landfill or incineration"),
        "companies": _("Circularity per company"),
        "balance": _("Carbon balance against the path"),
        "flows": _("Material flows"),
    }


def table(board: Dashboard, names: dict[str, str], name: str) -> Table:
    """One figure as a table; only this one is computed (the network's loops are costly)."""
    return _BUILD[name](board, names, titles()[name])


def _rates() -> list[str]:
    return [
        _("treated t"),
        _("recycled t"),
        _("landfilled t"),
        _("incinerated t"),
        _("recycling rate %"),
        _("landfill diversion rate %"),
    ]


def _indicators(board: Dashboard, names: dict[str, str], title: str) -> Table:
    return Table(
        "indicators",
        title,
        [_("figure"), _("value"), _("unit")],
        [list(row) for row in headline(board)],
    )


def _trend(board: Dashboard, names: dict[str, str], title: str) -> Table:
    return Table(
        "trend",
        title,
        [_("month"), *_rates(), _("exchanged t"), _("registered t")],
        [
            [m, *_figures_row(f), tonnes(f.exchanged_g), tonnes(f.registered_g)]
            for m, f in board.trend
        ],
    )


def _streams(board: Dashboard, names: dict[str, str], title: str) -> Table:
    return Table(
        "streams",
        title,
        [_("company"), _("material"), _("fate"), _("t"), _("batches")],
        [
            [
                s.company.name,
                s.material,
                names.get(s.sink, s.sink),
                tonnes(s.mass_g),
                count(s.batches),
            ]
            for s in board.streams
        ],
    )


def _companies(board: Dashboard, names: dict[str, str], title: str) -> Table:
    return Table(
        "companies",
        title,
        [_("company"), _("registered t"), _("shipped t"), _("received t"), *_rates()],
        [
            [
                r.company.name,
                tonnes(r.figures.registered_g),
                tonnes(r.figures.shipped_g),
                tonnes(r.figures.received_g),
                *_figures_row(r.figures),
            ]
            for r in board.companies
        ],
    )


def _balance(board: Dashboard, names: dict[str, str], title: str) -> Table:
    """The balance is the inventory; avoided emissions are their own column and the net of
    them a labelled memo item (services/carbon/balance.py). An illustrative inventory says
    so in the header, so a CSV or PDF cut from the page carries the label too."""
    inventory = _("balance: inventory t CO2e")
    if board.carbon.illustrative:
        inventory = _("balance: ILLUSTRATIVE inventory t CO2e (demo, not Taicang's)")
    return Table(
        "balance",
        title,
        [
            _("year"),
            inventory,
            _("path t CO2e"),
            _("gap t CO2e"),
            _("avoided emissions t CO2e (own line, not subtracted)"),
            _("of which provisional t CO2e"),
            _("memo: net of avoided emissions t CO2e"),
        ],
        [
            [
                str(p.year),
                t_co2e(p.balance_t),
                t_co2e(p.path_t),
                t_co2e(p.gap_t),
                t_co2e(p.avoided_t),
                t_co2e(p.provisional_t),
                t_co2e(p.net_memo_t),
            ]
            for p in board.carbon.years
        ],
    )


def _flows(board: Dashboard, names: dict[str, str], title: str) -> Table:
    return Table(
        "flows",
        title,
        [_("from"), _("to"), _("material"), _("t")],
        [
            [
                names.get(f.source, f.source),
                names.get(f.target, f.target),
                f.material,
                tonnes(round(f.mass_kg * 1000)),
            ]
            for f in board.flows
        ],
    )


_BUILD = {
    "indicators": _indicators,
    "trend": _trend,
    "streams": _streams,
    "companies": _companies,
    "balance": _balance,
    "flows": _flows,
}
