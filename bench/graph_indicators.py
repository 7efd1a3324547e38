"""Benchmark: the flow graph and every indicator from 1,000,000 synthetic custody records.

Prints the time of each step and the total; the target is under 10 s. Run from the repository
root: ``python bench/graph_indicators.py [--records N] [--seed S]``. Building the record objects
is not timed: the app produces them from its database.

Batches are generated at companies, shipped to another company or a treatment facility and closed
there by a route drawn from a plausible mix; some facilities produce recyclate batches that are
shipped back to companies, which makes loops. Each batch yields three or four records.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mfa.balance import mass_balances, unbalanced  # noqa: E402
from mfa.indicators import (  # noqa: E402
    inflow_circularity,
    outflow_circularity,
    park_circular_material_use,
    park_rates,
    symbiosis,
)
from mfa.model import CustodyRecord, RecordTable, build_flows, flow_graph  # noqa: E402

ROUTE_MIX = {"R4": 0.25, "R5": 0.2, "R3": 0.1, "R1": 0.15, "D1": 0.15, "D10": 0.1, "R13": 0.05}


def synthetic_records(n_records: int, seed: int) -> list[CustodyRecord]:
    """About n_records records of a park with 400 companies and 40 facilities."""
    rng = np.random.default_rng(seed)
    companies = [f"company-{i:03d}" for i in range(400)]
    facilities = [f"facility-{i:02d}" for i in range(40)]
    materials = [f"{i:02d} 01 {j:02d}" for i in range(1, 9) for j in range(1, 6)]
    n_batches = n_records // 3 - n_records // 40
    origin = rng.integers(0, len(companies), n_batches)
    to_company = rng.random(n_batches) < 0.3
    dest_company = rng.integers(0, len(companies), n_batches)
    dest_facility = rng.integers(0, len(facilities), n_batches)
    material = rng.integers(0, len(materials), n_batches)
    mass = rng.lognormal(6.0, 1.0, n_batches).round(1)
    routes = rng.choice(list(ROUTE_MIX), n_batches, p=list(ROUTE_MIX.values()))
    day = rng.integers(0, 365, n_batches)
    records: list[CustodyRecord] = []
    for i in range(n_batches):
        b = f"B{i:07d}"
        m, kg, t = materials[material[i]], float(mass[i]), int(day[i])
        src = companies[origin[i]]
        dst = companies[dest_company[i]] if to_company[i] else facilities[dest_facility[i]]
        if dst == src:
            dst = facilities[dest_facility[i]]
        records.append(CustodyRecord(b, m, kg, src, None, t, "generation"))
        records.append(CustodyRecord(b, m, kg, src, dst, t, "shipment"))
        records.append(CustodyRecord(b, m, kg, dst, None, t, "closing", str(routes[i])))
    extra = n_records - len(records)
    for k in range(extra // 2):
        f, c = facilities[k % len(facilities)], companies[(k * 7) % len(companies)]
        b = f"S{k:07d}"
        records.append(CustodyRecord(b, "recyclate", 500.0, f, None, k % 365, "treatment"))
        records.append(CustodyRecord(b, "recyclate", 500.0, f, c, k % 365, "shipment"))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    records = synthetic_records(args.records, args.seed)
    steps: list[tuple[str, float]] = []

    def timed(name, fn, *a, **k):
        start = time.perf_counter()
        out = fn(*a, **k)
        steps.append((name, time.perf_counter() - start))
        return out

    table = timed("code records into columns", RecordTable, records, 0, 365)
    flows = timed("flows by company", build_flows, table)
    by_material = timed("flows by material", build_flows, table, by="material")
    graph = timed("flow graph (by material)", flow_graph, by_material)
    balances = timed("mass balances by material", mass_balances, by_material, by_material=True)
    timed("unbalanced processes", unbalanced, balances)
    rates = timed("recycling and landfill diversion", park_rates, table)
    timed("circular material use", park_circular_material_use, table, 1e9)
    timed("circular outflow (all)", outflow_circularity, table)
    declared = {f"company-{i:03d}": 1e7 for i in range(400)}
    timed("circular inflow (all)", inflow_circularity, table, declared)
    network = timed("symbiosis network", symbiosis, flows)
    total = sum(s for _, s in steps)
    print(f"records {len(table)}, nodes {graph.number_of_nodes()}, flows {len(by_material)}")
    print(
        f"recycling rate {rates.recycling_rate:.3f}, exchanges {network.exchanges}, "
        f"loops {network.closed_loops}{'+' if network.loops_capped else ''}"
    )
    for name, seconds in steps:
        print(f"  {name:<36} {seconds:6.2f} s")
    print(f"total {total:.2f} s (target < 10 s)")


if __name__ == "__main__":
    main()
