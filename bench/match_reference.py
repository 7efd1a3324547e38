"""Reference solvers for the matching benchmark: the whole market handed to one general solver.

    python -m bench.match_reference {ortools,networkx,highs,engine} INSTANCE.json

`engine` is our own engine without the `circularity` command line around it, to show what the
command's start-up (Flask, the other commands) adds to its time.

Prints one JSON line: the optimum in kg CO2e and the seconds spent. Eligible pairs come from
`mfa.matching.eligible_pairs` (the spec's rules, vectorised), so the references differ from the
engine only in how they solve; building the pairs is counted in their time, as in ours.
Integer solvers get tonnes in kilograms and net values in grams per tonne, which moves the
optimum by less than 1e-6 relative.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from mfa.matching import eligible_pairs, load_instance


def network(path: str):
    """Eligible pairs as integer arcs: kg capacities, -g CO2e per tonne costs."""
    inst = load_instance(path)
    market = eligible_pairs(inst)
    supply = np.round(inst.offer_tonnes * 1000).astype(np.int64)
    demand = np.round(inst.demand_tonnes * 1000).astype(np.int64)
    cost = -np.round(market.net_per_t * 1000).astype(np.int64)
    cap = np.minimum(supply[market.offer], demand[market.demand])
    return inst, market, supply, demand, cost, cap


def ortools(path: str) -> float:
    """OR-Tools' SimpleMinCostFlow: source -> offers -> demands -> sink, plus a free bypass
    from source to sink so that leaving tonnes unmatched costs nothing."""
    from ortools.graph.python import min_cost_flow

    inst, market, supply, demand, cost, cap = network(path)
    n_o, n_d = inst.n_offers, inst.n_demands
    source, sink = n_o + n_d, n_o + n_d + 1
    total = int(supply.sum())
    tails = np.concatenate([np.full(n_o, source), market.offer, n_o + np.arange(n_d), [source]])
    heads = np.concatenate([np.arange(n_o), n_o + market.demand, np.full(n_d, sink), [sink]])
    caps = np.concatenate([supply, cap, demand, [total]])
    costs = np.concatenate([np.zeros(n_o, np.int64), cost, np.zeros(n_d, np.int64), [0]])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools status {status}")
    # Costs are g CO2e per tonne on kg of flow: divide by 1e6 to get kg CO2e.
    return -flow.optimal_cost() / 1e6


def networkx(path: str) -> float:
    """networkx's network simplex on the same network as `ortools`."""
    import networkx as nx

    inst, market, supply, demand, cost, cap = network(path)
    g = nx.DiGraph()
    total = int(supply.sum())
    g.add_node("s", demand=-total)
    g.add_node("t", demand=total)
    for i, s in enumerate(supply.tolist()):
        g.add_edge("s", ("o", i), capacity=s, weight=0)
    for j, t in enumerate(demand.tolist()):
        g.add_edge(("d", j), "t", capacity=t, weight=0)
    g.add_edge("s", "t", capacity=total, weight=0)
    for o, d, c, k in zip(
        market.offer.tolist(), market.demand.tolist(), cost.tolist(), cap.tolist(), strict=True
    ):
        g.add_edge(("o", o), ("d", d), capacity=k, weight=c)
    return -nx.network_simplex(g)[0] / 1e6


def highs(path: str) -> float:
    """scipy's HiGHS on the LP over every eligible pair at once."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    inst = load_instance(path)
    market = eligible_pairs(inst)
    n = market.n_pairs
    rows = np.concatenate([market.offer, inst.n_offers + market.demand])
    a_ub = sp.csc_array(
        (np.ones(2 * n), (rows, np.tile(np.arange(n), 2))),
        shape=(inst.n_offers + inst.n_demands, n),
    )
    b_ub = np.concatenate([inst.offer_tonnes, inst.demand_tonnes])
    res = linprog(-market.net_per_t, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(res.message)
    return -res.fun


def engine(path: str) -> float:
    """`mfa.matching` alone: read, match, and build the result document."""
    from mfa.matching import match_file

    return match_file(path)["total_net_kgco2e"]


SOLVERS = {"ortools": ortools, "networkx": networkx, "highs": highs, "engine": engine}


def main() -> None:
    name, path = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    optimum = SOLVERS[name](path)
    print(json.dumps({"solver": name, "optimum": optimum, "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
