"""The allocation of maximum net CO2 saved, found by pricing instead of solving the whole market.

The market is a transportation problem: maximise Σ c·x subject to Σ_d x ≤ supply,
Σ_o x ≤ demand, 0 ≤ x (each x is also boxed by min(supply, demand), which changes nothing).
Its dual prices every offer (u ≥ 0) and every demand (v ≥ 0) with u_o + v_d ≥ c_od. Solving the
problem restricted to a few candidate pairs yields such prices; if no other eligible pair has a
reduced cost c_od − u_o − v_d above zero, the prices are feasible for the whole market, primal
and dual objectives coincide, and by weak duality the restricted optimum is the market's optimum.
Otherwise each offer's and each demand's most violating pairs join the candidates and the small
problem is solved again, warm (column generation). Pricing ten million pairs is one compiled
pass (`pricing`); only two or three percent of them ever reach the restricted problem, which a
network simplex solves (`network`), or HiGHS where the C library was not built (`highs`).

Every round also yields an upper bound on the optimum (the prices, raised just enough to cover
every pair), so the loop stops when no pair violates the prices or as soon as the allocation is
provably within `GAP` of the optimum, whichever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mfa.matching import highs, network, pricing
from mfa.matching.eligibility import Market
from mfa.matching.highs import SolverError

__all__ = ["METHODS", "Allocation", "SolverError", "solve"]

#: How the restricted problem can be solved, fastest first: the compiled network simplex
#: (`network`, needs the C library), HiGHS kept warm (`highs`), `scipy.optimize.linprog` afresh each
#: round (`linprog`). All three give the same optimum with the same certificate.
METHODS = ("network", "highs", "linprog")

#: Reduced costs up to this many kg CO2e per tonne count as zero: HiGHS's dual feasibility
#: tolerance is 1e-7 on scaled values, so smaller violations are numerical noise, not columns.
PRICE_TOLERANCE = 1e-6

#: Relative gap between allocation and proven upper bound at which the search stops: 90 kg in
#: the benchmark region's 900,537 t of CO2e, far below the precision of any emission factor.
GAP = 1e-7

#: With HiGHS, candidates that carry nothing and price this far (kg CO2e/t) below their offer's
#: and demand's prices leave the restricted problem, so it stays about the size of its basis.
DROP_BELOW = 1.0

#: Violating pairs that join per offer and per demand each round with HiGHS. Two took 9 rounds
#: and 14 s of simplex on the benchmark's region; one took 12 rounds and 15 s, three 9 rounds
#: and 16 s.
VIOLATORS_PER_NODE = 2

#: After this many rounds nothing leaves any more, which rules out cycling on ties.
DROP_ROUNDS = 30

#: The network simplex pays for an idle arc only when its block search passes over it, so
#: with it nothing leaves (dropping took 10 rounds instead of 7 on the region, and 60 % more
#: pivot time) and more violators join per round: 4 took 6 rounds; 2 and 3, 7; 8, 5; all
#: within the noise of each other in time.
NETWORK_VIOLATORS_PER_NODE = 4


@dataclass(frozen=True)
class Allocation:
    """Tonnes on the market's pairs, with the prices that prove them optimal.

    `pairs` index the `Market` arrays; `tonnes` are positive. `upper_bound` is a dual objective
    (the prices raised to cover every eligible pair), so `objective ≤ optimum ≤ upper_bound`
    holds whatever the solver's tolerances were.
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
    warm: bool = True,
    method: str | None = None,
) -> Allocation:
    """Maximise Σ net_per_t·x over the market's eligible pairs within the offers' and demands'
    tonnes. Returns the optimum with its dual certificate.

    `method` picks how the restricted problem is solved (see `METHODS`); by default the first
    that can run here. Should one fail, the next answers. `warm=False` is `method="linprog"`,
    the path when neither the C library nor a HiGHS class is at hand; tests use both to check that
    every path agrees.
    """
    if method is None:
        method = "linprog" if not warm else "network" if network.available() else "highs"
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}, expected one of {METHODS}")
    if method == "network" and network.available():
        try:
            return _solve(market, offer_tonnes, demand_tonnes, "network")
        except SolverError:
            # A pivot limit that was never reached in practice; HiGHS still answers.
            pass
    if method in ("network", "highs"):
        try:
            return _solve(market, offer_tonnes, demand_tonnes, "highs")
        except (AttributeError, TypeError):
            # The warm path uses scipy's private copy of HiGHS when highspy is absent; should a
            # scipy release change that interface, the public linprog path still answers.
            pass
    return _solve(market, offer_tonnes, demand_tonnes, "linprog")


def _solve(
    market: Market, offer_tonnes: np.ndarray, demand_tonnes: np.ndarray, method: str
) -> Allocation:
    n_o = len(offer_tonnes)
    capacity = np.concatenate([offer_tonnes, demand_tonnes]).astype(float)
    if market.n_pairs == 0:
        none = np.empty(0, dtype=np.int64)
        return Allocation(none, np.empty(0), np.zeros(n_o), np.zeros(len(demand_tonnes)),
                          0.0, 0.0, 0, 0)  # fmt: skip
    net = market.net_per_t
    offer_tonnes = capacity[:n_o]
    if method == "network":
        lp = network.NetworkLP(capacity, n_o)
    else:
        lp = highs.restricted_lp(capacity, warm=method == "highs")
    per_node, drop_rounds = VIOLATORS_PER_NODE, DROP_ROUNDS
    if method == "network":
        per_node, drop_rounds = NETWORK_VIOLATORS_PER_NODE, 0
    price_pairs = pricing.pricer(market, n_o, per_node, PRICE_TOLERANCE)
    columns = np.empty(0, dtype=np.int64)
    in_lp = np.zeros(market.n_pairs, dtype=bool)
    new = np.flatnonzero(market.seed)
    rounds = 0
    while True:
        # Only the restricted pairs' arrays are formed here; the market's ten million pairs
        # are read by the pricer alone.
        tail, head = market.offer[new].astype(np.int64), market.demand[new] + n_o
        lp.add(tail, head, net[new], np.minimum(capacity[tail], capacity[head]))
        in_lp[new] = True
        columns = np.concatenate([columns, new])
        rounds += 1
        flow, price = lp.solve()
        tail, head = market.offer[columns].astype(np.int64), market.demand[columns] + n_o
        upper = np.minimum(capacity[tail], capacity[head])
        flow = np.clip(flow, 0.0, upper)
        price = np.maximum(price, 0.0)
        own = net[columns] - price[tail] - price[head]
        excess, new = price_pairs(price, in_lp)
        objective = float(net[columns] @ flow)
        # A dual objective that covers every pair: row prices; plus, for restricted pairs
        # above their prices, their bound times the excess; plus, for every other pair above
        # its prices, its offer's price raised by the largest such excess (each offer has one
        # tonnage to pay it on).
        bound = float(capacity @ price + upper @ np.maximum(own, 0.0) + offer_tonnes @ excess)
        if len(new) == 0 or bound - objective <= GAP * max(abs(objective), 1.0):
            break
        if rounds <= drop_rounds:
            idle = np.flatnonzero((flow <= 0) & (own < -DROP_BELOW))
            if len(idle):
                lp.delete(idle)
                in_lp[columns[idle]] = False
                keep = np.ones(len(columns), dtype=bool)
                keep[idle] = False
                columns = columns[keep]
    used = flow > 0
    return Allocation(
        pairs=columns[used],
        tonnes=flow[used],
        offer_price=price[:n_o],
        demand_price=price[n_o:],
        objective=objective,
        upper_bound=max(bound, objective),
        rounds=rounds,
        columns=len(columns),
    )
