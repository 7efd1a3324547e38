"""Symbiosis matching: who should send which by-product to whom to save the most CO2.

The contract is the project's matching spec: read an instance (`parse_instance`,
`load_instance`), find the optimal allocation (`match`), write a result (`MatchResult.to_json`).
The web app builds the same instance dict from its database and calls `match_market`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mfa.matching.eligibility import Market, eligible_pairs, road_km
from mfa.matching.explain import REASONS, Stage, Unmatched, explain_unmatched, offer_stages
from mfa.matching.instance import (
    INSTANCE_FORMAT,
    RESULT_FORMAT,
    Instance,
    load_instance,
    parse_instance,
)
from mfa.matching.solver import Allocation, SolverError, solve

__all__ = [
    "INSTANCE_FORMAT",
    "REASONS",
    "RESULT_FORMAT",
    "Allocation",
    "Instance",
    "Market",
    "MatchResult",
    "SolverError",
    "Stage",
    "Unmatched",
    "eligible_pairs",
    "load_instance",
    "match",
    "match_file",
    "match_market",
    "offer_stages",
    "parse_instance",
    "road_km",
    "solve",
]


@dataclass(frozen=True)
class MatchResult:
    """An optimal allocation in instance terms: offer and demand positions, rounded tonnes.

    `offer`, `demand`, `tonnes`, `distance_km`, `net_kgco2e` are parallel arrays, one entry per
    match, ordered by offer then demand position. Tonnes are rounded to the kilogram, which the
    spec allows; `total_net_kgco2e` is the sum of the rounded matches' values.
    """

    instance: Instance
    offer: np.ndarray
    demand: np.ndarray
    tonnes: np.ndarray
    distance_km: np.ndarray
    net_kgco2e: np.ndarray
    total_net_kgco2e: float
    upper_bound_kgco2e: float
    unmatched: list[Unmatched]
    eligible_pairs: int
    rounds: int
    columns: int

    def to_json(self) -> dict[str, Any]:
        """The `circularity.match-result/1` document, with the spec's fields first."""
        inst = self.instance
        matches = [
            {
                "offer": inst.offer_ids[o],
                "demand": inst.demand_ids[d],
                "tonnes": t,
                "distance_km": km,
                "net_kgco2e": net,
            }
            for o, d, t, km, net in zip(
                self.offer.tolist(),
                self.demand.tolist(),
                self.tonnes.tolist(),
                np.round(self.distance_km, 3).tolist(),
                np.round(self.net_kgco2e, 3).tolist(),
                strict=True,
            )
        ]
        return {
            "format": RESULT_FORMAT,
            "matches": matches,
            "total_net_kgco2e": round(self.total_net_kgco2e, 3),
            "unmatched": [
                {
                    "offer": inst.offer_ids[u.offer],
                    "tonnes": round(u.tonnes, 3),
                    "reason": u.reason,
                    "explanation": u.text,
                }
                for u in self.unmatched
            ],
            "optimality": {
                "upper_bound_kgco2e": round(self.upper_bound_kgco2e, 3),
                "eligible_pairs": self.eligible_pairs,
                "pairs_priced_into_lp": self.columns,
                "lp_rounds": self.rounds,
            },
        }


def match(instance: Instance, seed_per_node: int = 2, workers: int | None = None) -> MatchResult:
    """The allocation that maximises net CO2 saved, with every leftover offer explained.

    `seed_per_node` is how many nearest receivers per offer the first LP gets (each demand also
    gets its nearest supplier of every material); it changes speed, never the optimum.
    `workers` threads compute eligibility (default: up to two, the cores of an ordinary server).
    """
    market = eligible_pairs(instance, seed_per_node=seed_per_node, workers=workers)
    alloc = solve(market, instance.offer_tonnes, instance.demand_tonnes)
    tonnes = np.round(alloc.tonnes, 3)
    keep = tonnes > 0
    pairs, tonnes = alloc.pairs[keep], tonnes[keep]
    offer, demand = market.offer[pairs], market.demand[pairs]
    order = np.lexsort((demand, offer))
    pairs, tonnes, offer, demand = pairs[order], tonnes[order], offer[order], demand[order]
    net = market.net_per_t[pairs] * tonnes
    matched = np.bincount(offer, weights=tonnes, minlength=instance.n_offers)
    return MatchResult(
        instance=instance,
        offer=offer,
        demand=demand,
        tonnes=tonnes,
        distance_km=road_km(instance, offer, demand),
        net_kgco2e=net,
        total_net_kgco2e=float(np.round(net, 3).sum()),
        upper_bound_kgco2e=alloc.upper_bound,
        unmatched=explain_unmatched(
            instance, matched, np.bincount(market.offer, minlength=instance.n_offers) > 0
        ),
        eligible_pairs=market.n_pairs,
        rounds=alloc.rounds,
        columns=alloc.columns,
    )


def match_market(data: Mapping[str, Any], source: str = "instance") -> dict[str, Any]:
    """Instance dict in, result dict out: the one call the web app needs."""
    return match(parse_instance(data, source=source)).to_json()


def match_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Instance file in, result dict out: what `circularity match` does before writing."""
    return match(load_instance(path)).to_json()
