"""Avoided CO2 per tonne of a recovered material, from DEFRA's "Material use" factors.

Until the project's emission-factor library exists, the matching engine's `benefit_kgco2e_per_t`
is the avoided burden of recycling as METHODS.md defines it: primary material production minus
closed-loop source, per tonne, from the UK GHG conversion factors 2025 (DESNZ/DEFRA, OGL v3).
Rows come in as plain dicts (e.g. from `csv.DictReader` over the flat file) so this module never
reads files and the app decides where the table ships.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mfa.errors import InputError

#: Column names of DEFRA's 2025 flat file, as shipped.
LEVEL_1, LEVEL_3, COLUMN, UNIT = "Level 1", "Level 3", "Column Text", "UOM"
FACTOR_2025 = "GHG Conversion Factor 2025"
PRIMARY, CLOSED_LOOP = "Primary material production", "Closed-loop source"


def material_factors(
    rows: Iterable[Mapping[str, str]], factor_column: str = FACTOR_2025
) -> dict[str, dict[str, float]]:
    """Material name (Level 3) -> column text -> kg CO2e per tonne, blank cells left out."""
    table: dict[str, dict[str, float]] = {}
    for row in rows:
        if row.get(LEVEL_1) != "Material use" or row.get(UNIT) != "tonnes":
            continue
        text = (row.get(factor_column) or "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            raise InputError(row.get("ID", "?"), factor_column, f"not a number: {text!r}") from None
        table.setdefault(row[LEVEL_3], {})[row[COLUMN]] = value
    return table


def benefit_kgco2e_per_t(
    rows: Iterable[Mapping[str, str]], material: str, factor_column: str = FACTOR_2025
) -> float:
    """Primary production minus closed-loop source for one DEFRA material (its Level 3 name).

    Raises `InputError` when either factor is blank: a missing factor must not become a zero
    benefit, which would silently drop the material from every match.
    """
    factors = material_factors(rows, factor_column).get(material, {})
    for column in (PRIMARY, CLOSED_LOOP):
        if column not in factors:
            raise InputError(material, column, "no DEFRA factor for this material")
    return factors[PRIMARY] - factors[CLOSED_LOOP]


def benefits_by_material(
    rows: Iterable[Mapping[str, str]], factor_column: str = FACTOR_2025
) -> dict[str, float]:
    """Every DEFRA material that has both factors -> its avoided kg CO2e per tonne."""
    return {
        name: f[PRIMARY] - f[CLOSED_LOOP]
        for name, f in material_factors(rows, factor_column).items()
        if PRIMARY in f and CLOSED_LOOP in f
    }
