"""Inventory figures computed from activity data, so a key area's emissions can be traced to
what was used and the factor it was multiplied by.

Two kinds of input, as the GHG Protocol's scope 1 and 2 accounting has them:

- **Electricity bought** (MWh) times a grid emission factor of China's Ministry of Ecology and
  Environment and National Bureau of Statistics (circularity/data/factors/china_grid_co2.csv,
  its SOURCE note says how each value was checked). A factor in kg CO2 per kWh is the same
  number in t CO2 per MWh, so 1,000 MWh at East China's 0.5500 (2023) is 550.0 t CO2.
  Location-based scope 2: the grid's average, whatever contracts say.
- **A fuel or other input** with a factor the person cites (amount in a unit they name, times
  kg CO2e per that unit, with the factor's source). No Chinese fuel factors ship with the
  project: the national guidelines' defaults were not available as data here, and a factor
  typed with its source is traceable where an unsourced default would not be.

Each input is stored with the figure (InventoryEntry.inputs) as it was recorded, with the
factor's value and source, so a later edition of a factor never changes an old figure.
"""

import csv
import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import cache

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from circularity.models import InventoryEntry, User
from circularity.services import fields
from circularity.services.carbon import balance
from circularity.services.catalogue import DATA
from circularity.services.errors import InvalidInput
from circularity.services.numbers import parse_number

GRID_FILE = DATA / "factors" / "china_grid_co2.csv"
GRID_SOURCE = "MEE/NBS"
#: More electricity than Jiangsu province uses in a year (about 800 TWh in 2023) is no
#: district's: 1e9 MWh is a slip of the unit (kWh for MWh).
MAX_MWH = Decimal(10) ** 9
#: A fuel's factor per unit above 100 t CO2e is no fuel's (coal is about 2.5 t CO2 a tonne);
#: the amount's bound follows from the inventory's own bounds on the product.
MAX_FACTOR = Decimal(10) ** 5
MAX_AMOUNT = Decimal(10) ** 12
#: Fuel lines a figure may have besides electricity.
MAX_FUELS = 5


#: The grid regions and scopes of the announcements, in the reader's words.
NAMES = {
    "North China": _l("North China"),
    "Northeast China": _l("Northeast China"),
    "East China": _l("East China"),
    "Central China": _l("Central China"),
    "Northwest China": _l("Northwest China"),
    "South China": _l("South China"),
    "Southwest China": _l("Southwest China"),
    "national average": _l("national average"),
    "national average without market-traded non-fossil power": _l(
        "national average without market-traded non-fossil power"
    ),
    "national fossil power": _l("national fossil power"),
}


@dataclass(frozen=True)
class GridFactor:
    key: str
    year: int
    scope: str
    grid: str
    kg_co2_per_kwh: float

    @property
    def name(self) -> str:
        """The factor in the reader's words: "East China grid, 2023", "national average, 2022"."""
        if self.grid:
            return gettext("%(grid)s grid, %(year)d", grid=NAMES[self.grid], year=self.year)
        return gettext("%(scope)s, %(year)d", scope=NAMES[self.scope], year=self.year)

    @property
    def source(self) -> str:
        return f"{GRID_SOURCE} {self.year} electricity CO2 emission factors ({self.scope})"


@cache
def grid_factors() -> dict[str, GridFactor]:
    """The shipped grid factors by key, newest year first."""
    with open(GRID_FILE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    factors = [
        GridFactor(r["key"], int(r["year"]), r["scope"], r["grid"], float(r["kg_co2_per_kwh"]))
        for r in rows
    ]
    factors.sort(key=lambda g: (-g.year, g.grid == "", g.key))
    return {g.key: g for g in factors}


@dataclass(frozen=True)
class Input:
    """One activity and its factor: ``amount`` ``unit`` × ``factor`` kg CO2e per unit."""

    what: str
    amount: float
    unit: str
    factor: float
    factor_unit: str
    factor_source: str

    @property
    def tco2e(self) -> float:
        return self.amount * self.factor / 1000


def electricity(mwh, grid: str | None) -> Input:
    """Electricity bought, in MWh, at a shipped grid factor (its key)."""
    amount = parse_number(mwh, "electricity_mwh", minimum=0, maximum=MAX_MWH)
    factor = grid_factors().get((grid or "").strip())
    if factor is None:
        raise InvalidInput("Choose one of the grid factors listed.", "grid")
    # kg CO2 per kWh is t CO2 per MWh: per MWh in kg, so tco2e = MWh × factor.
    return Input(
        what="electricity",
        amount=float(amount),
        unit="MWh",
        factor=factor.kg_co2_per_kwh * 1000,
        factor_unit="kg CO2/MWh",
        # The citation is stored in English, as the announcement's own title is cited.
        factor_source=f"{factor.source}: {factor.grid or factor.scope}, {factor.year}, "
        f"{factor.kg_co2_per_kwh:.4f} kg CO2/kWh",
    )


def fuel(what, amount, unit, factor, source, row: int) -> Input:
    """A fuel (or any input) with a factor the person cites; ``row`` names it in messages."""
    prefix = f"fuels[{row}]"
    return Input(
        what=fields.required_text(what, f"{prefix}.what", 60),
        amount=float(parse_number(amount, f"{prefix}.amount", minimum=0, maximum=MAX_AMOUNT)),
        unit=fields.required_text(unit, f"{prefix}.unit", 20),
        factor=float(parse_number(factor, f"{prefix}.factor", minimum=0, maximum=MAX_FACTOR)),
        factor_unit="kg CO2e/" + fields.required_text(unit, f"{prefix}.unit", 20),
        factor_source=fields.required_text(source, f"{prefix}.source", 300),
    )


def record(
    session: Session,
    user: User,
    *,
    area: str | None,
    year,
    month,
    inputs: list[Input],
    source: str = "",
    confirmed: bool = False,
) -> InventoryEntry:
    """Record the figure of an area and period as the sum of its inputs, with the inputs.

    It replaces (and keeps) any earlier figure of the area and period, as a typed total does,
    and the same bounds and confirmation apply to the sum.
    """
    if not inputs:
        raise InvalidInput("Enter the electricity bought or at least one fuel.", "inputs")
    total = sum(i.tco2e for i in inputs)
    return balance.record_inventory(
        session,
        user,
        area=area,
        year=year,
        month=month,
        tco2e=total,
        source=source,
        confirmed=confirmed,
        inputs=json.dumps([asdict(i) | {"tco2e": i.tco2e} for i in inputs]),
    )


def recorded_inputs(entry: InventoryEntry) -> list[dict]:
    """The inputs a figure was computed from, as recorded; empty for a typed total."""
    return json.loads(entry.inputs) if entry.inputs else []
