"""Quantities as people type them, stored exactly as integer grams.

Masses are entered in kg or t, volumes in m³ with a bulk density in kg/m³. Pint does the
unit arithmetic on Decimals so that nothing drifts through binary floating point; the
result is rounded once, to the gram.
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache

from circularity.services.errors import InvalidInput

UNITS = {"kg": "kilogram", "t": "metric_ton", "m3": "meter ** 3"}
MAX_GRAMS = 10**15  # a billion tonnes: far beyond any batch, well inside a 64-bit column


@cache
def _registry():
    import pint

    return pint.UnitRegistry(non_int_type=Decimal)


def parse_decimal(value: str | float | Decimal | None, field: str) -> Decimal:
    """A finite, positive Decimal from a form value or a number."""
    text = str(value).strip().replace(",", ".") if value is not None else ""
    if not text:
        raise InvalidInput("Enter a number.", field)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidInput("'%(value)s' is not a number.", field, value=value) from None
    if not number.is_finite() or number <= 0:
        raise InvalidInput("Enter a number greater than zero.", field)
    return number


def to_grams(
    quantity: str | float | Decimal | None,
    unit: str,
    density: str | float | Decimal | None = None,
    field: str = "quantity",
) -> int:
    """Grams for ``quantity`` in ``unit`` (kg, t, or m3 with ``density`` in kg/m³)."""
    if unit not in UNITS:
        raise InvalidInput("Choose a unit: %(units)s.", "unit", units=", ".join(UNITS))
    amount = parse_decimal(quantity, field)
    ureg = _registry()
    q = ureg.Quantity(amount, UNITS[unit])
    if unit == "m3":
        if density is None or str(density).strip() == "":
            raise InvalidInput("A volume needs the bulk density in kg/m³.", "density")
        q = q * ureg.Quantity(parse_decimal(density, "density"), "kilogram / meter ** 3")
    grams = Decimal(q.to("gram").magnitude).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    if grams < 1:
        raise InvalidInput("The quantity is less than one gram.", field)
    if grams > MAX_GRAMS:
        raise InvalidInput("The quantity is implausibly large.", field)
    return int(grams)


def format_mass(grams: int) -> str:
    """A mass for people: tonnes above one tonne, kilograms below, trailing zeros dropped."""
    value = Decimal(grams)
    if abs(grams) >= 1_000_000:
        text, unit = f"{value / 1_000_000:,.3f}", "t"
    else:
        text, unit = f"{value / 1000:,.3f}", "kg"
    text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}"


def format_tonnes(grams: int) -> str:
    """Tonnes with three decimals and no unit, for tables and figures that name it: exact to
    the kilogram, from the integer grams."""
    return f"{Decimal(grams) / 1_000_000:.3f}"


def kilograms(grams: int) -> str:
    """Exact kilograms as a decimal string, for event payloads (EPCIS uom KGM)."""
    return format((Decimal(grams) / 1000).normalize(), "f") if grams else "0"
