"""Why an offer is left (partly) unmatched, in words a coordinator can act on.

The reasons follow the eligibility rules in the order they are checked: the first rule that no
demand passes is the reason. An offer with eligible demands that still keeps tonnes is explained by
optimality itself: if one of those demands had room left, moving a tonne there would save more
CO2, so every one of them is full, taken by matches that save more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mfa.matching.eligibility import Stage
from mfa.matching.instance import Instance

#: Leftovers below half a kilogram disappear when tonnes are rounded to the kilogram.
LEFTOVER_TONNES = 0.0005

REASONS: dict[Stage, tuple[str, str]] = {
    Stage.NO_DEMAND: ("no_demand", "no demand accepts {material}"),
    Stage.SAME_COMPANY: (
        "same_company_only",
        "only demands of the offering company itself accept {material}; reuse inside one "
        "company is not an exchange",
    ),
    Stage.NO_PERMIT: (
        "hazardous_permit_missing",
        "{material} is hazardous and no other company that accepts it holds a permit",
    ),
    Stage.TOO_FAR: (
        "beyond_max_distance",
        "every receiver that accepts {material} is beyond its maximum distance",
    ),
    Stage.TRANSPORT: (
        "transport_exceeds_benefit",
        "transport to every receiver in range would emit more CO2 than using {material} saves",
    ),
    Stage.ELIGIBLE: (
        "demand_filled",
        "every demand that could take it is already filled by matches that save more CO2",
    ),
}


@dataclass(frozen=True)
class Unmatched:
    """One offer's leftover tonnes and the reason, as a code for programs and a sentence."""

    offer: int
    tonnes: float
    reason: str
    text: str


def explain_unmatched(
    instance: Instance, offer_stage: np.ndarray, matched_tonnes: np.ndarray
) -> list[Unmatched]:
    """Every offer with more than half a kilogram left, in instance order."""
    left = instance.offer_tonnes - matched_tonnes
    out = []
    for i in np.flatnonzero(left > LEFTOVER_TONNES):
        code, template = REASONS[Stage(int(offer_stage[i]))]
        m = int(instance.offer_material[i])
        material = f"{instance.material_names[m]} ({instance.material_codes[m]})"
        out.append(Unmatched(int(i), float(left[i]), code, template.format(material=material)))
    return out
