"""Emission factors the market uses, shipped in circularity/data with their source.

A material's benefit is DEFRA 2025 "Material use" primary production minus closed-loop source,
per tonne, read from the emission-factor library's DEFRA 2025 set (services/carbon/factors.py,
the one reader of those files) and reached through a hand-reviewed List-of-Waste -> DEFRA
material table. A code without a reviewed mapping, or whose DEFRA material lacks either factor,
has *no factor*: it is never credited with a guess.
"""

import csv
from dataclasses import dataclass
from functools import cache

from circularity.services.carbon import factors
from circularity.services.catalogue import DATA
from mfa import emissions as em

FACTOR_EDITION = "DEFRA 2025"
FACTOR_SOURCE = (
    "UK Government GHG Conversion Factors for Company Reporting 2025 (DESNZ/DEFRA): Material use, "
    "primary material production minus closed-loop source; Freighting goods, HGV (all diesel), "
    "all HGVs, average laden. Open Government Licence v3.0"
)
FACTOR_SET = "defra-2025"
# The freight row the DEFRA set carries (defra_ghg_cf_2025_freight_hgv.csv), as people read it.
FREIGHT_DESCRIPTION = "HGV (all diesel), All HGVs, Average laden (tonne.km)"
MAPPING_FILE = "low_to_defra_material.csv"


@dataclass(frozen=True)
class Benefit:
    """A material's avoided kg CO2e per tonne, or None with the reason it has no factor."""

    material_code: str
    defra_material: str | None
    primary: float | None
    closed_loop: float | None
    comment: str

    @property
    def kgco2e_per_t(self) -> float | None:
        if self.primary is None or self.closed_loop is None:
            return None
        return self.primary - self.closed_loop

    @property
    def no_factor_reason(self) -> str | None:
        """'unmapped' (no reviewed DEFRA material), 'blank' (DEFRA lacks a factor) or None."""
        if self.defra_material is None:
            return "unmapped"
        return "blank" if self.kgco2e_per_t is None else None


@dataclass(frozen=True)
class Transport:
    kgco2e_per_tkm: float
    row_id: str
    description: str


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _defra() -> factors.Library:
    return factors.shipped_sets()[FACTOR_SET]


def _production(defra_material: str, route: str) -> float | None:
    factor = _defra().factors.get((defra_material, em.PRODUCTION, route))
    return None if factor is None else factor.value


@cache
def mapping() -> dict[str, tuple[str, str]]:
    """List-of-Waste code -> (DEFRA material, why), as reviewed."""
    return {row["low_code"]: (row["defra_material"], row["comment"]) for row in _read(MAPPING_FILE)}


def benefit(material_code: str) -> Benefit:
    entry = mapping().get(material_code)
    if entry is None:
        return Benefit(material_code, None, None, None, "")
    defra, comment = entry
    primary = _production(defra, em.PRIMARY)
    closed_loop = _production(defra, em.CLOSED_LOOP_SOURCE)
    return Benefit(material_code, defra, primary, closed_loop, comment)


@cache
def transport() -> Transport:
    """The one freight row shipped: DEFRA 2025 HGV (all diesel), all HGVs, average laden."""
    factor = _defra().factors[(factors.FREIGHT_MATERIAL, em.FREIGHT, factors.FREIGHT_ROUTE)]
    return Transport(factor.value, factor.source, FREIGHT_DESCRIPTION)
