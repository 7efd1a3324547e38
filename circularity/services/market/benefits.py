"""Emission factors the market uses, shipped in circularity/data with their source.

A material's benefit per tonne is exactly what the district ledger would book for a tonne of
it recycled, before transport: disposal avoided (its baseline route minus closed-loop
recycling) plus virgin production avoided (primary production minus closed-loop source),
computed by the ledger's own function (services/carbon/credits.benefit_per_tonne) with the
DEFRA 2025 set. A code without a reviewed mapping, or whose material lacks a factor, has *no
factor*: it is never credited with a guess.
"""

from dataclasses import dataclass
from functools import cache

from circularity.services.carbon import credits, factors
from mfa import emissions as em

FACTOR_EDITION = "DEFRA 2025"
FACTOR_SOURCE = (
    "UK Government GHG Conversion Factors for Company Reporting 2025 (DESNZ/DEFRA): Waste "
    "disposal (baseline minus closed-loop; incineration with IPCC 2006 fossil carbon) plus "
    "Material use (primary minus closed-loop source); Freighting goods, HGV (all diesel), "
    "average laden. Open Government Licence v3.0"
)
FACTOR_SET = "defra-2025"
# The freight row the DEFRA set carries (defra_ghg_cf_2025_freight_hgv.csv), as people read it.
FREIGHT_DESCRIPTION = "HGV (all diesel), All HGVs, Average laden (tonne.km)"


@dataclass(frozen=True)
class Benefit:
    """A material's avoided kg CO2e per tonne, or None with the reason it has no factor."""

    material_code: str
    defra_material: str | None
    kgco2e_per_t: float | None
    reason: str
    comment: str

    @property
    def no_factor_reason(self) -> str | None:
        """'unmapped' (no reviewed material), 'blank' (a factor is missing) or None."""
        if self.defra_material is None:
            return "unmapped"
        return "blank" if self.kgco2e_per_t is None else None


@dataclass(frozen=True)
class Transport:
    kgco2e_per_tkm: float
    row_id: str
    description: str


def _defra() -> factors.Library:
    return factors.shipped_sets()[FACTOR_SET]


def benefit(material_code: str) -> Benefit:
    """The ledger's benefit per tonne of ``material_code`` with the DEFRA 2025 set."""
    entry = factors.mapping(material_code)
    per_t, reason = credits.benefit_per_tonne(material_code, _defra())
    return Benefit(material_code, entry.material, per_t, reason, entry.comment)


@cache
def transport() -> Transport:
    """The one freight row shipped: DEFRA 2025 HGV (all diesel), all HGVs, average laden."""
    factor = _defra().factors[(factors.FREIGHT_MATERIAL, em.FREIGHT, factors.FREIGHT_ROUTE)]
    return Transport(factor.value, factor.source, FREIGHT_DESCRIPTION)
