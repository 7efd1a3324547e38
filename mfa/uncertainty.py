"""Standard deviations for reported quantities, from how each quantity was obtained.

Reconciliation weighs every report by its standard deviation, but people report masses, not
uncertainties. These defaults turn "how was it obtained" into a relative standard deviation.
They are configurable assumptions, not measured data: a park that knows its weighbridges better
passes its own table. The reasons for each default are in docs/methods.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from mfa.errors import InputError

#: Relative standard deviation by how a mass was obtained.
#: - exact: a quantity fixed by definition or by a legal record that may not be adjusted.
#: - weighed: a calibrated weighbridge or scale. The instrument itself errs by well under 1 %,
#:   but tare, moisture, residues left in the container and reading errors add up; 2 % keeps a
#:   weighed figure firm without making it immovable.
#: - metered: a flow meter, level gauge or counted containers of known size (5 %).
#: - calculated: derived from other records with a factor, e.g. volume times density (10 %).
#: - estimated: a person's estimate or a sector average (20 %), in line with the low data
#:   quality classes commonly used in MFA uncertainty work (Hedbrant and Sörme 2001; Laner et al.
#:   2014).
DEFAULT_RELATIVE_SD: Mapping[str, float] = {
    "exact": 0.0,
    "weighed": 0.02,
    "metered": 0.05,
    "calculated": 0.10,
    "estimated": 0.20,
}

#: A weighed zero is not certain: a floor in kg keeps tiny reports from pinning a balance.
DEFAULT_FLOOR_KG = 1.0


def standard_deviation(
    value: float,
    obtained_by: str,
    relative: Mapping[str, float] | None = None,
    floor: float = DEFAULT_FLOOR_KG,
) -> float:
    """Return the standard deviation of ``value`` (same unit) reported as ``obtained_by``.

    ``relative`` replaces the default table; ``floor`` is the smallest standard deviation given
    to anything not exact, in the unit of ``value``.
    """
    table = DEFAULT_RELATIVE_SD if relative is None else relative
    if obtained_by not in table:
        known = ", ".join(sorted(table))
        raise InputError("quantity", "obtained_by", f"unknown {obtained_by!r}; one of {known}")
    share = table[obtained_by]
    if share < 0:
        raise InputError("uncertainty table", obtained_by, "relative sd is negative")
    if share == 0:
        return 0.0
    return max(abs(value) * share, floor)
