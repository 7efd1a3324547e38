"""The district inventory and balance: emissions by key area, minus the ledger's credits.

Management enters or imports the district's emissions (t CO2e) per key area for a month or a
year. The balance of a period is its inventory minus the credits of batches closed in it; the
path to climate neutrality runs in a straight line from the baseline year's inventory to a net
balance of zero in the target year (mfa.emissions.path_value), and the gap is how far the
balance is above the path.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlmodel import Session, col, select

from circularity.config import setting
from circularity.db import write_transaction
from circularity.models import INVENTORY_AREAS, InventoryEntry, User
from circularity.services.carbon import credits
from circularity.services.carbon.csvfiles import BadValue, Problem, RejectedFile, number, read_rows
from circularity.services.errors import InvalidInput
from circularity.times import local
from mfa import emissions as em

YEARS = range(2000, 2101)


def _check(area, year, month, tco2e) -> tuple[list[tuple[str, str]], tuple]:
    """Problems as (column, message), and the clean values."""
    problems = []
    area = (area or "").strip()
    if area not in INVENTORY_AREAS:
        problems.append(
            ("area", gettext("Use one of: %(areas)s.", areas=", ".join(INVENTORY_AREAS)))
        )
    year_value = number(str(year or ""))
    if year_value is None or year_value != int(year_value) or int(year_value) not in YEARS:
        problems.append(("year", gettext("A year from 2000 to 2100.")))
    month_text = str(month or "").strip()
    month_value = number(month_text) if month_text else 0
    if month_value is None or month_value != int(month_value) or not 0 <= month_value <= 12:
        problems.append(("month", gettext("A month 1-12, or empty (or 0) for the whole year.")))
    amount = number(str(tco2e or ""))
    if amount is None or amount < 0:
        problems.append(("tco2e", gettext("Emissions in t CO2e: a number, 0 or more.")))
    if problems:
        return problems, ()
    return [], (area, int(year_value), int(month_value), amount)


def record_inventory(
    session: Session,
    user: User,
    *,
    area: str | None,
    year: str | int | None,
    month: str | int | None,
    tco2e: str | float | None,
    source: str = "",
) -> InventoryEntry:
    """Enter one figure; it replaces (and keeps) any earlier figure of the area and period."""
    problems, values = _check(area, year, month, tco2e)
    if problems:
        column, message = problems[0]
        raise BadValue(message, column)
    source = (source or "").strip()
    if len(source) > 300:
        raise InvalidInput("Keep this under %(limit)d characters.", "source", limit=300)
    with write_transaction(session):
        entry = _entry(user, values, source)
        session.add(entry)
    return entry


def _entry(user: User, values: tuple, source: str) -> InventoryEntry:
    area, year, month, amount = values
    return InventoryEntry(
        area=area, year=year, month=month, tco2e=amount, source=source, user_id=user.id
    )


def import_inventory(session: Session, user: User, data: bytes | str) -> int:
    """Import a CSV (area, year, month, tco2e[, source]) whole, or reject it whole."""
    rows = read_rows(data, ("area", "year", "month", "tco2e"), ("source",))
    problems, entries, seen = [], [], {}
    for row_number, row in rows:
        found, values = _check(row["area"], row["year"], row["month"], row["tco2e"])
        problems += [Problem(row_number, column, message) for column, message in found]
        source = row.get("source", "")
        if len(source) > 300:
            problems.append(Problem(row_number, "source", gettext("300 characters at most.")))
        if values:
            if values[:3] in seen:
                problems.append(
                    Problem(
                        row_number,
                        "month",
                        gettext(
                            "Row %(row)d already gives this area and period.", row=seen[values[:3]]
                        ),
                    )
                )
            seen.setdefault(values[:3], row_number)
            entries.append(_entry(user, values, source))
    if problems:
        raise RejectedFile(problems)
    with write_transaction(session):
        session.add_all(entries)
    return len(entries)


def inventory(session: Session) -> dict[tuple[str, int, int], InventoryEntry]:
    """The figure of each (area, year, month): the newest entry."""
    latest = {}
    for entry in session.exec(select(InventoryEntry).order_by(col(InventoryEntry.id))).all():
        latest[(entry.area, entry.year, entry.month)] = entry
    return latest


@dataclass
class Period:
    year: int
    month: int  # 0: the whole year
    inventory_t: float
    credits_t: float
    path_t: float | None
    missing_areas: list[str] = field(default_factory=list)

    @property
    def balance_t(self) -> float:
        return self.inventory_t - self.credits_t

    @property
    def gap_t(self) -> float | None:
        """Above the path (positive) means more must be cut or avoided."""
        return None if self.path_t is None else self.balance_t - self.path_t

    @property
    def complete(self) -> bool:
        return not self.missing_areas


@dataclass
class Balance:
    years: list[Period]
    months: list[Period]
    target_year: int
    baseline_year: int | None
    baseline_t: float | None


def balance(session: Session) -> Balance:
    """Inventory, credits, balance, path and gap per year and per month.

    A year's inventory of an area is its annual figure, or else the sum of its monthly ones;
    a month counts only monthly figures, and names the areas that have none. Credits count in
    the month their batch was closed, in the park's time zone.
    """
    target, baseline_year = int(setting("CARBON_TARGET_YEAR")), setting("CARBON_BASELINE_YEAR")
    figures = inventory(session)
    annual: dict[int, dict[str, float]] = defaultdict(dict)
    monthly: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for (area, year, month), entry in figures.items():
        if month:
            monthly[(year, month)][area] = entry.tco2e
    for (year, _month), areas in monthly.items():
        for area, amount in areas.items():
            annual[year][area] = annual[year].get(area, 0.0) + amount
    for (area, year, month), entry in figures.items():
        if not month:
            annual[year][area] = entry.tco2e
    credited: dict[tuple[int, int], float] = defaultdict(float)
    for closed, credit_kg in credits.current_amounts(session):
        month = local(closed)
        credited[(month.year, month.month)] += credit_kg / 1000
    years = sorted(set(annual) | {y for y, _ in credited})
    if baseline_year is None:
        complete = [y for y in years if len(annual.get(y, {})) == len(INVENTORY_AREAS)]
        baseline_year = complete[0] if complete else (min(annual) if annual else None)
    baseline_t = sum(annual.get(baseline_year, {}).values()) if baseline_year else None

    def path(year: int) -> float | None:
        if baseline_year is None or year < baseline_year or target <= baseline_year:
            return None
        return em.path_value(baseline_year, baseline_t, target, year)

    rows = [
        Period(
            year,
            0,
            sum(annual.get(year, {}).values()),
            sum(v for (y, _), v in credited.items() if y == year),
            path(year),
            [a for a in INVENTORY_AREAS if a not in annual.get(year, {})],
        )
        for year in years
    ]
    month_rows = []
    for year, month in sorted(set(monthly) | set(credited)):
        yearly = path(year)
        month_rows.append(
            Period(
                year,
                month,
                sum(monthly.get((year, month), {}).values()),
                credited.get((year, month), 0.0),
                None if yearly is None else yearly / 12,
                [a for a in INVENTORY_AREAS if a not in monthly.get((year, month), {})],
            )
        )
    return Balance(rows, month_rows, target, baseline_year, baseline_t)
