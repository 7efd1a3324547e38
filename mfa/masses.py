"""The masses a flow file may state: its units and the range a real park's figure lies in.

A file command must refuse what cannot be a park's material flow rather than compute with it:
a unit that is not a mass (``parsec``), a negative flow, or a figure so large that no process
handles it (1e308 t overflows the sums to infinity and the result to NaN). The bound is
generous on purpose: 10⁹ t, about half the world's crude steel output of a year (1.89 × 10⁹ t
in 2023, World Steel Association, *World Steel in Figures 2024*), far above any one park's
year, yet small enough that squares and sums of 50,000 such figures stay finite.
"""

from __future__ import annotations

import math

from mfa.errors import InputError

#: Kilograms per unit, for every unit a flow file may use.
MASS_UNITS: dict[str, float] = {"g": 1e-3, "kg": 1.0, "t": 1000.0}
#: The largest mass any one quantity of a file may have, in kilograms (10⁹ t).
MAX_KG = 1e12
#: The smallest positive standard deviation, in kilograms (1 mg): below it, write 0 for exact.
MIN_SD_KG = 1e-6


def check_unit(record: str, unit: object) -> float:
    """Kilograms per ``unit``; InputError naming the field when it is not a mass unit."""
    if not isinstance(unit, str) or unit not in MASS_UNITS:
        names = ", ".join(MASS_UNITS)
        shown = repr(unit) if len(repr(unit)) <= 40 else repr(unit)[:39] + "…"
        raise InputError(record, "unit", f"{shown} is not a mass unit (use one of {names})")
    return MASS_UNITS[unit]


def check_mass(record: str, field: str, value: float, unit: str, *, negative: bool = False) -> None:
    """Refuse a mass that is not finite, negative (unless ``negative``) or beyond 10⁹ t."""
    if not math.isfinite(value):
        raise InputError(record, field, "is not a finite number")
    if value < 0 and not negative:
        raise InputError(record, field, f"must not be negative, got {value:g}")
    limit = MAX_KG / MASS_UNITS.get(unit, 1.0)
    if abs(value) > limit:
        raise InputError(record, field, f"{value:g} {unit} is beyond any park's flow ({limit:g})")


def check_sd(record: str, sd: float, unit: str) -> None:
    """A standard deviation is 0 (exact) or between 1 mg and 10⁹ t."""
    check_mass(record, "sd", sd, unit)
    smallest = MIN_SD_KG / MASS_UNITS.get(unit, 1.0)
    if 0 < sd < smallest:
        raise InputError(
            record, "sd", f"{sd:g} {unit} is below 1 mg ({smallest:g}); write 0 for an exact value"
        )
