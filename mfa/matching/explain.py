"""Why an offer is left (partly) unmatched, in words a coordinator can act on.

The reasons follow the eligibility rules in the order they are checked: the first rule that no
demand passes is the reason. An offer with eligible demands that still keeps tonnes is explained by
optimality itself: if one of those demands had room left, moving a tonne there would save more
CO2, so every one of them is full, taken by matches that save more.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from mfa.matching.eligibility import demands_by_material, road_km
from mfa.matching.instance import Instance


class Stage(IntEnum):
    """How far an offer's best pair gets through the eligibility rules, checked in this order."""

    NO_DEMAND = 0  # no demand accepts the material
    SAME_COMPANY = 1  # only the offering company's own demands accept it
    NO_PERMIT = 2  # hazardous, and no other company that accepts it holds a permit
    TOO_FAR = 3  # every permitted receiver is beyond its maximum distance
    TRANSPORT = 4  # transport to every receiver in range emits more than the exchange saves
    ELIGIBLE = 5  # at least one eligible pair


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


def offer_stages(instance: Instance, offers: np.ndarray) -> np.ndarray:
    """The `Stage` of each given offer, by applying the rules one after the other.

    This is the readable twin of the fast eligibility pass, run only for the offers that need
    an explanation, so it may form the pairs of those offers outright.
    """
    stage = np.zeros(len(offers), dtype=np.int8)
    accepting = demands_by_material(instance)
    for k, i in enumerate(offers.tolist()):
        m = int(instance.offer_material[i])
        d = accepting[m]
        if len(d) == 0:
            continue
        stage[k] = Stage.SAME_COMPANY
        d = d[instance.demand_company[d] != instance.offer_company[i]]
        if len(d) == 0:
            continue
        stage[k] = Stage.NO_PERMIT
        if instance.material_hazardous[m]:
            d = d[instance.demand_permit[d]]
        if len(d) == 0:
            continue
        stage[k] = Stage.TOO_FAR
        km = road_km(instance, np.full(len(d), i), d)
        within = km <= instance.demand_max_km[d]
        if not within.any():
            continue
        stage[k] = Stage.TRANSPORT
        net = instance.material_benefit[m] - instance.transport_kgco2e_per_tkm * km[within]
        if (net > 0).any():
            stage[k] = Stage.ELIGIBLE
    return stage


def explain_unmatched(
    instance: Instance, matched_tonnes: np.ndarray, has_pair: np.ndarray
) -> list[Unmatched]:
    """Every offer with more than half a kilogram left, in instance order.

    `has_pair` marks offers with at least one eligible pair (known from the market already),
    so the rules are replayed only for the offers that have none.
    """
    left = instance.offer_tonnes - matched_tonnes
    unmatched = np.flatnonzero(left > LEFTOVER_TONNES)
    stages = np.full(len(unmatched), Stage.ELIGIBLE, dtype=np.int8)
    lonely = ~has_pair[unmatched]
    stages[lonely] = offer_stages(instance, unmatched[lonely])
    out = []
    for i, stage in zip(unmatched.tolist(), stages.tolist(), strict=True):
        code, template = REASONS[Stage(stage)]
        m = int(instance.offer_material[i])
        material = f"{instance.material_names[m]} ({instance.material_codes[m]})"
        out.append(Unmatched(int(i), float(left[i]), code, template.format(material=material)))
    return out
