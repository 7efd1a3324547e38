"""Pricing every eligible pair against the restricted problem's prices, once per round.

For each pair outside the restricted problem the reduced cost is `net − u_o − v_d`. A round
needs two things from those ten million numbers: each offer's largest one (for the upper bound)
and each offer's and each demand's few largest above the tolerance (the next columns).
Compiled, that is one pass over the pairs with nothing allocated (about 0.05 s on the region);
in numpy it is a dozen passes and a few hundred megabytes of temporaries (about 0.5 s a round),
which is why the numpy version is only the fallback where the C library was not built.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from mfa.matching import kernels
from mfa.matching.eligibility import Market


class Pricer(ABC):
    """`excess, new = pricer(price, in_lp)`: per offer the largest reduced cost outside the
    restricted problem (at least 0), and the pairs that should join it next.

    `price` holds the offers' prices, then the demands'; `in_lp` marks the restricted pairs.
    Two ways to compute the same thing follow: compiled, and numpy where the C library was not
    built.
    """

    def __init__(self, market: Market, n_offers: int, per_node: int, tolerance: float) -> None:
        self.market = market
        self.n_offers = n_offers
        self.per_node = per_node
        self.tolerance = tolerance

    @abstractmethod
    def __call__(self, price: np.ndarray, in_lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per offer the largest excess, and the indices of the pairs to add."""


class CompiledPricer(Pricer):
    """One compiled pass; each node keeps its best `per_node` violators in a tiny sorted list."""

    def __call__(self, price: np.ndarray, in_lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m, n_o, k = self.market, self.n_offers, self.per_node
        n_d = len(price) - n_o
        excess = np.zeros(n_o)
        offer_best = np.full((n_o, k), -1, dtype=np.int64)
        demand_best = np.full((n_d, k), -1, dtype=np.int64)
        best = (offer_best, np.full((n_o, k), -np.inf), demand_best, np.full((n_d, k), -np.inf))
        kernels.price_pairs(
            m.net_per_t, m.offer, m.demand, np.ascontiguousarray(price[:n_o]),
            np.ascontiguousarray(price[n_o:]), in_lp, self.tolerance, excess, best,
        )  # fmt: skip
        chosen = np.concatenate([offer_best.ravel(), demand_best.ravel()])
        return excess, np.unique(chosen[chosen >= 0])


class NumpyPricer(Pricer):
    """The same in vectorised numpy: pairs of one offer lie together, so per-offer maxima are
    one `reduceat`; per-demand ones a scatter (`np.maximum.at`)."""

    def __init__(self, market: Market, n_offers: int, per_node: int, tolerance: float) -> None:
        super().__init__(market, n_offers, per_node, tolerance)
        self.tail = market.offer.astype(np.int64)
        self.head = market.demand.astype(np.int64) + n_offers
        self.starts = np.flatnonzero(np.r_[True, self.tail[1:] != self.tail[:-1]])

    def __call__(self, price: np.ndarray, in_lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        reduced = self.market.net_per_t - price[self.tail] - price[self.head]
        reduced[in_lp] = 0.0
        excess = np.zeros(self.n_offers)
        excess[self.tail[self.starts]] = np.maximum(np.maximum.reduceat(reduced, self.starts), 0.0)
        return excess, self._violators(reduced, len(price))

    def _violators(self, reduced: np.ndarray, n: int) -> np.ndarray:
        """Each offer's and each demand's few most violating pairs: progress everywhere at
        once, few enough columns that the restricted problem stays small."""
        candidates = np.flatnonzero(reduced > self.tolerance)
        if len(candidates) == 0:
            return candidates
        rc = reduced[candidates]
        chosen = []
        for _ in range(self.per_node):
            for node in (self.tail[candidates], self.head[candidates]):
                best = np.full(n, -np.inf)
                np.maximum.at(best, node, rc)
                top = np.flatnonzero((rc == best[node]) & (rc > -np.inf))
                _, first = np.unique(node[top], return_index=True)
                chosen.append(top[first])
                rc[top[first]] = -np.inf
        return candidates[np.unique(np.concatenate(chosen))]


def pricer(market: Market, n_offers: int, per_node: int, tolerance: float) -> Pricer:
    """The compiled pricer when the C library was built, else the numpy one."""
    kind = CompiledPricer if kernels.available() else NumpyPricer
    return kind(market, n_offers, per_node, tolerance)
