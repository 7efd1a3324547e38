"""Quantities as people type them, stored exactly as integer grams.

Masses are entered in kg or t, volumes in m³ with a bulk density in kg/m³. Pint does the
unit arithmetic on Decimals so that nothing drifts through binary floating point; the
result is rounded once, to the gram.
"""

from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from babel.numbers import format_decimal

from circularity.services.errors import InvalidInput
from circularity.services.numbers import current_locale, parse_number

UNITS = {"kg": "kilogram", "t": "metric_ton", "m3": "meter ** 3"}
# What one batch can be, per unit it is typed in. The largest single consignment a park
# registers is a bulk carrier's hold (a Panamax carries 60,000-80,000 t), so a batch is at
# most 100,000 t, typed as 100,000,000 kg or as 100,000 t; a volume at most 100,000 m³.
# A bulk density lies between a loose foam's (polystyrene chips, about 10 kg/m³; 1 is the
# floor) and the densest element's (osmium, 22,590 kg/m³).
MAX_QUANTITY = {"kg": Decimal(100_000_000), "t": Decimal(100_000), "m3": Decimal(100_000)}
DENSITY_RANGE = (Decimal(1), Decimal(25_000))
MAX_GRAMS = 100_000 * 1_000_000


@cache
def _registry():
    import pint

    return pint.UnitRegistry(non_int_type=Decimal)


def parse_decimal(value: str | float | Decimal | None, field: str) -> Decimal:
    """A finite, positive Decimal from a form value (in the person's locale) or a number."""
    return parse_number(value, field, above_zero=True)


def to_grams(
    quantity: str | float | Decimal | None,
    unit: str,
    density: str | float | Decimal | None = None,
    field: str = "quantity",
) -> int:
    """Grams for ``quantity`` in ``unit`` (kg, t, or m3 with ``density`` in kg/m³), within
    what one batch can be (``MAX_QUANTITY``)."""
    if unit not in UNITS:
        raise InvalidInput("Choose a unit: %(units)s.", "unit", units=", ".join(UNITS))
    amount = parse_number(quantity, field, above_zero=True, maximum=MAX_QUANTITY[unit])
    ureg = _registry()
    q = ureg.Quantity(amount, UNITS[unit])
    if unit == "m3":
        if density is None or str(density).strip() == "":
            raise InvalidInput("A volume needs the bulk density in kg/m³.", "density")
        low, high = DENSITY_RANGE
        per_m3 = parse_number(density, "density", minimum=low, maximum=high)
        q = q * ureg.Quantity(per_m3, "kilogram / meter ** 3")
    grams = Decimal(q.to("gram").magnitude).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    if grams < 1:
        raise InvalidInput("The quantity is less than one gram.", field)
    if grams > MAX_GRAMS:
        raise InvalidInput("One batch is at most 100,000 t.", field)
    return int(grams)


def format_mass(grams: int) -> str:
    """A mass for people: tonnes above one tonne, kilograms below, to three decimals with
    trailing zeros dropped, written as the person's locale writes numbers ("1,234.5 t" in
    English, "1.234,5 t" in German; English outside a request)."""
    value = Decimal(grams)
    if abs(grams) >= 1_000_000:
        number, unit = value / 1_000_000, "t"
    else:
        number, unit = value / 1000, "kg"
    return f"{format_decimal(number, format='#,##0.###', locale=current_locale())} {unit}"


def format_tonnes(grams: int) -> str:
    """Tonnes with three decimals and no unit, for tables and figures that name it: exact to
    the kilogram, from the integer grams."""
    return f"{Decimal(grams) / 1_000_000:.3f}"


def kilograms(grams: int) -> str:
    """Exact kilograms as a decimal string, for event payloads (EPCIS uom KGM)."""
    return format((Decimal(grams) / 1000).normalize(), "f") if grams else "0"
