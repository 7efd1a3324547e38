"""The allocation of maximum net CO2 saved, found by pricing instead of solving the whole market.

The market is a transportation problem (max Σ c·x, Σ_d x ≤ supply, Σ_o x ≤ demand, x ≥ 0).
Its dual gives every offer a price u ≥ 0 and every demand a price v ≥ 0 with u_o + v_d ≥ c_od.
An optimum of the problem restricted to a few candidate pairs comes with such prices; if no
eligible pair has reduced cost c_od − u_o − v_d > 0, the prices are feasible for the whole market,
the two objectives coincide, and by weak duality the restricted optimum is the market's optimum.
Otherwise the pairs that violate the prices join the candidates and the small problem is solved
again (column generation). Only a few percent of the eligible pairs ever reach the LP solver;
pricing all of them is one vectorised pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from mfa.errors import MFAError
from mfa.matching.eligibility import Market

#: Reduced costs below this many kg CO2e per tonne count as zero: HiGHS's own dual feasibility
#: tolerance is 1e-7 on scaled values, so smaller violations are numerical noise, not columns.
PRICE_TOLERANCE = 1e-6

#: Violating pairs added per round at most; the best per offer and per demand are always added.
MAX_NEW_COLUMNS = 200_000


class SolverError(MFAError):
    """The LP solver failed on a problem that is always feasible; this is a bug, not bad input."""


@dataclass(frozen=True)
class Allocation:
    """Tonnes on the market's pairs, with the prices that prove them optimal.

    `pairs` index the `Market` arrays; `tonnes` are positive. `upper_bound` is the dual objective
    (Σ supply·u + Σ demand·v, widened by any leftover reduced cost), so
    `objective ≤ optimum ≤ upper_bound` holds whatever the solver's tolerances were.
    """

    pairs: np.ndarray
    tonnes: np.ndarray
    offer_price: np.ndarray
    demand_price: np.ndarray
    objective: float
    upper_bound: float
    rounds: int
    columns: int


def solve(
    market: Market,
    offer_tonnes: np.ndarray,
    demand_tonnes: np.ndarray,
) -> Allocation:
    """Maximise Σ net_per_t·x over the market's eligible pairs within the offers' and demands'
    tonnes. Returns the optimum with its dual certificate."""
    n_o, n_d = len(offer_tonnes), len(demand_tonnes)
    u, v = np.zeros(n_o), np.zeros(n_d)
    if market.n_pairs == 0:
        empty = np.empty(0, dtype=np.int64)
        return Allocation(empty, np.empty(0), u, v, 0.0, 0.0, 0, 0)
    net = market.net_per_t
    columns = np.flatnonzero(market.seed)
    in_lp = np.zeros(market.n_pairs, dtype=bool)
    in_lp[columns] = True
    rounds = 0
    while True:
        rounds += 1
        x, u, v = _restricted(market, columns, offer_tonnes, demand_tonnes)
        reduced = net - u[market.offer] - v[market.demand]
        reduced[in_lp] = 0.0
        new = _violators(market, reduced)
        if len(new) == 0:
            break
        in_lp[new] = True
        columns = np.concatenate([columns, new])
    worst = max(0.0, float(reduced.max()))
    objective = float(net[columns] @ x)
    bound = float(offer_tonnes @ u + demand_tonnes @ v)
    bound += worst * min(float(offer_tonnes.sum()), float(demand_tonnes.sum()))
    used = x > 0
    return Allocation(
        pairs=columns[used],
        tonnes=x[used],
        offer_price=u,
        demand_price=v,
        objective=objective,
        upper_bound=max(bound, objective),
        rounds=rounds,
        columns=len(columns),
    )


def _restricted(
    market: Market, columns: np.ndarray, offer_tonnes: np.ndarray, demand_tonnes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the problem on `columns` only; return tonnes per column and full-length prices
    (offers and demands without a column get price 0, which is what they are worth to it)."""
    offers, o_row = np.unique(market.offer[columns], return_inverse=True)
    demands, d_row = np.unique(market.demand[columns], return_inverse=True)
    n_cols = len(columns)
    rows = np.concatenate([o_row, d_row + len(offers)])
    cols = np.concatenate([np.arange(n_cols), np.arange(n_cols)])
    a_ub = sp.csc_array(
        (np.ones(2 * n_cols), (rows, cols)), shape=(len(offers) + len(demands), n_cols)
    )
    b_ub = np.concatenate([offer_tonnes[offers], demand_tonnes[demands]])
    res = linprog(
        -market.net_per_t[columns], A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs"
    )
    if res.status != 0:
        raise SolverError(f"HiGHS failed on the restricted problem: {res.message}")
    price = np.maximum(-res.ineqlin.marginals, 0.0)
    u = np.zeros(len(offer_tonnes))
    v = np.zeros(len(demand_tonnes))
    u[offers] = price[: len(offers)]
    v[demands] = price[len(offers) :]
    x = np.minimum(np.maximum(res.x, 0.0), np.minimum(b_ub[o_row], b_ub[d_row + len(offers)]))
    return x, u, v


def _violators(market: Market, reduced: np.ndarray) -> np.ndarray:
    """Pairs that price above their offer's and demand's prices; if there are many, each offer's
    and each demand's most violating pair, then the most violating overall up to a cap."""
    candidates = np.flatnonzero(reduced > PRICE_TOLERANCE)
    if len(candidates) <= MAX_NEW_COLUMNS:
        return candidates
    rc = reduced[candidates]
    chosen = [
        _best_per_group(market.offer[candidates], rc),
        _best_per_group(market.demand[candidates], rc),
    ]
    top = np.argpartition(-rc, MAX_NEW_COLUMNS)[:MAX_NEW_COLUMNS]
    chosen.append(top)
    return candidates[np.unique(np.concatenate(chosen))]


def _best_per_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Index of the largest `value` within each `group`."""
    order = np.lexsort((-value, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    return order[first]
