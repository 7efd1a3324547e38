"""The district inventory and balance: emissions by key area, against the path to neutrality.

Management enters or imports the district's emissions (t CO2e) per key area for a month or a
year. The balance of a period is its territorial inventory as it is: the GHG Protocol and
WBCSD's guidance on avoided emissions ("Guidance on Avoided Emissions", 2023) keep avoided
emissions out of any inventory, and the pilot's inventory already contains the lower emissions
of a mill that melts the park's scrap, so subtracting the credits would count them twice. The
path to climate neutrality runs in a straight line from the baseline year's inventory to zero
in the target year (mfa.emissions.path_value), and the gap is how far the inventory is above
the path. The ledger's avoided emissions stand beside the balance as their own line; "net of
avoided emissions" is offered only as a labelled memo item, never as the balance.

A figure beyond any district's (docs/carbon.md, "Bounds") is held until the person confirms
it, so a slip of the unit (kg for t, a pasted population) never enters silently.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlmodel import Session, col, select

from circularity.config import setting
from circularity.db import write_transaction
from circularity.models import INVENTORY_AREAS, InventoryEntry, User
from circularity.services import fields
from circularity.services.carbon import credits
from circularity.services.carbon.csvfiles import BadValue, Problem, RejectedFile, number, read_rows
from circularity.services.errors import InvalidInput
from circularity.services.numbers import parse_number, shown
from circularity.times import local
from mfa import emissions as em

YEARS = range(2000, 2101)
#: A year's emissions per inhabitant above which a figure is held for a confirmation: about
#: twice the highest national average of fossil CO2 per person (Qatar, about 35-40 t in the
#: Global Carbon Budget 2024), so no district's real inventory reaches it in one key area.
MAX_T_PER_PERSON_YEAR = 80.0
#: Above this a figure is refused outright: 10 Gt CO2e, close to China's whole annual fossil
#: CO2 (11.4 Gt in 2022, Global Carbon Budget 2022), in one key area of one district.
MAX_TCO2E = 1e10


class NeedsConfirmation(InvalidInput):
    """A figure is beyond any district's; it is recorded only when the person confirms it."""

    status = 422

    def __init__(self, problem: str, field: str = "tco2e"):
        self.message = problem
        Exception.__init__(self, problem)
        self.field = field


def confirmation_bound(month: int) -> float:
    """t CO2e above which one area's figure for a year (month 0) or a month needs a
    confirmation: MAX_T_PER_PERSON_YEAR for the district's population (DISTRICT_POPULATION)."""
    yearly = float(setting("DISTRICT_POPULATION")) * MAX_T_PER_PERSON_YEAR
    return yearly / 12 if month else yearly


def _beyond(values: tuple) -> str | None:
    """Why a clean figure needs a confirmation, or None."""
    _area, _year, month, amount = values
    bound = confirmation_bound(month)
    if amount <= bound:
        return None
    return gettext(
        "%(t)s t CO2e is more than %(per)s t a person a year for %(people)s people, beyond any "
        "district's emissions in one key area: check the unit, then confirm.",
        t=shown(round(amount)),
        per=shown(MAX_T_PER_PERSON_YEAR),
        people=shown(int(setting("DISTRICT_POPULATION"))),
    )


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
    elif amount > MAX_TCO2E:
        problems.append(
            ("tco2e", gettext("More than 10 Gt CO2e in one area: no district emits that."))
        )
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
    confirmed: bool = False,
    illustrative: bool = False,
    inputs: str = "",
) -> InventoryEntry:
    """Enter one figure; it replaces (and keeps) any earlier figure of the area and period.

    A figure beyond any district's raises NeedsConfirmation unless ``confirmed``. ``inputs``
    is the activity data it was computed from (services/carbon/activity.py), as JSON.
    """
    # Typed in a form: read as the person's language writes numbers ("1,250" is 1250 in
    # English, refused in German), never by the files' rule.
    tco2e = float(parse_number(tco2e, "tco2e", minimum=0))
    problems, values = _check(area, year, month, tco2e)
    if problems:
        column, message = problems[0]
        raise BadValue(message, column)
    held = _beyond(values)
    if held and not confirmed:
        raise NeedsConfirmation(held)
    source = fields.optional_text(source, "source", 300)
    with write_transaction(session):
        entry = _entry(user, values, source, illustrative)
        entry.inputs = inputs
        session.add(entry)
    return entry


def _entry(user: User, values: tuple, source: str, illustrative: bool = False) -> InventoryEntry:
    area, year, month, amount = values
    return InventoryEntry(
        area=area,
        year=year,
        month=month,
        tco2e=amount,
        source=source,
        user_id=user.id,
        illustrative=illustrative,
    )


def import_inventory(
    session: Session, user: User, data: bytes | str, confirmed: bool = False
) -> int:
    """Import a CSV (area, year, month, tco2e[, source]) whole, or reject it whole.

    Rows beyond any district's are reported as problems unless ``confirmed``.
    """
    rows = read_rows(data, ("area", "year", "month", "tco2e"), ("source",))
    problems, entries, seen = [], [], {}
    for row_number, row in rows:
        found, values = _check(row["area"], row["year"], row["month"], row["tco2e"])
        problems += [Problem(row_number, column, message) for column, message in found]
        source = row.get("source", "")
        if len(source) > 300:
            problems.append(Problem(row_number, "source", gettext("300 characters at most.")))
        if values:
            held = _beyond(values)
            if held and not confirmed:
                problems.append(Problem(row_number, "tco2e", held))
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
    avoided_t: float
    path_t: float | None
    missing_areas: list[str] = field(default_factory=list)
    #: Of ``avoided_t``, the credits still provisional (outputs with no known fate yet).
    provisional_t: float = 0.0

    @property
    def balance_t(self) -> float:
        """The balance is the inventory: avoided emissions are never subtracted from it."""
        return self.inventory_t

    @property
    def gap_t(self) -> float | None:
        """Inventory above the path (positive) is what must still be cut."""
        return None if self.path_t is None else self.inventory_t - self.path_t

    @property
    def net_memo_t(self) -> float:
        """Memo item only: the inventory less avoided emissions, which is not the balance."""
        return self.inventory_t - self.avoided_t

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
    #: Some inventory figure in use is an example (the demo park's): every page and export
    #: that shows the balance says so.
    illustrative: bool = False


def balance(session: Session) -> Balance:
    """Inventory (the balance), path, gap and avoided emissions per year and per month.

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
    provisional: dict[tuple[int, int], float] = defaultdict(float)
    for closed, credit_kg, status in credits.current_amounts(session):
        month = local(closed)
        credited[(month.year, month.month)] += credit_kg / 1000
        if status == credits.PROVISIONAL:
            provisional[(month.year, month.month)] += credit_kg / 1000
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
            sum(v for (y, _), v in provisional.items() if y == year),
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
                provisional.get((year, month), 0.0),
            )
        )
    illustrative = any(entry.illustrative for entry in figures.values())
    return Balance(rows, month_rows, target, baseline_year, baseline_t, illustrative)
