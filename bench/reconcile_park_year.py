"""Benchmark: reconcile a generated park-year of 5,000 processes and 50,000 flows.

Prints wall time and peak memory; the target is under 5 s and 2 GB. Run from the repository
root: ``python bench/reconcile_park_year.py [--processes N] [--flows M] [--seed S]``.

The park is generated with a fixed seed and a plausible shape: a few hundred treatment hubs and
thousands of companies; imports and exports cross the boundary, wastes go to hubs, by-products
go to nearby companies, hubs send residues out and recyclates back. A true, balanced year is
drawn first (one boundary flow per process closes its balance), then reported with noise:
mostly weighed (2 %), some estimated (20 %), a few exact and a few not reported at all.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mfa.reconcile import FlowInput, FlowSystem, StockInput, reconcile  # noqa: E402


def park_year(n_processes: int, n_flows: int, seed: int, unmeasured: float = 0.05) -> FlowSystem:
    """A balanced park-year reported with noise; see the module docstring."""
    rng = np.random.default_rng(seed)
    n_hubs = max(1, n_processes // 25)
    companies = np.arange(n_hubs, n_processes)
    n_random = n_flows - n_processes
    shares = {"import": 0.26, "export": 0.26, "waste": 0.3, "byproduct": 0.1, "residue": 0.05}
    counts = {k: int(v * n_random) for k, v in shares.items()}
    counts["recyclate"] = n_random - sum(counts.values())
    outside = -1
    ends = []
    ends.append((np.full(counts["import"], outside), rng.choice(companies, counts["import"])))
    ends.append((rng.choice(companies, counts["export"]), np.full(counts["export"], outside)))
    ends.append((rng.choice(companies, counts["waste"]), rng.integers(0, n_hubs, counts["waste"])))
    src = rng.choice(companies, counts["byproduct"])
    step = rng.integers(1, 20, counts["byproduct"])
    dst = n_hubs + (src - n_hubs + step) % len(companies)
    ends.append((src, dst))
    ends.append((rng.integers(0, n_hubs, counts["residue"]), np.full(counts["residue"], outside)))
    ends.append(
        (rng.integers(0, n_hubs, counts["recyclate"]), rng.choice(companies, counts["recyclate"]))
    )
    tails = np.concatenate([t for t, _ in ends])
    heads = np.concatenate([h for _, h in ends])
    truth = rng.lognormal(mean=4.0, sigma=1.0, size=len(tails))

    residual = np.zeros(n_processes)
    np.add.at(residual, heads[heads >= 0], truth[heads >= 0])
    np.subtract.at(residual, tails[tails >= 0], truth[tails >= 0])
    # One boundary flow per process closes its balance: out if it gained, in if it lost.
    closing_tail = np.where(residual > 0, np.arange(n_processes), outside)
    closing_head = np.where(residual > 0, outside, np.arange(n_processes))
    tails = np.concatenate([tails, closing_tail])
    heads = np.concatenate([heads, closing_head])
    truth = np.concatenate([truth, np.abs(residual) + 1.0])
    # The closing flow is 1 t larger than needed, so it never rounds to zero; a true stock
    # change of 1 t absorbs that, and the true year balances exactly.
    stock_truth = np.where(residual > 0, -1.0, 1.0)

    shares = [0.8 - unmeasured, 0.18, 0.02, unmeasured]
    how = rng.choice(["weighed", "estimated", "exact", "missing"], len(truth), p=shares)
    rel = np.where(how == "weighed", 0.02, 0.2)
    sd = np.where(how == "exact", 0.0, rel * truth)
    reported = np.where(how == "exact", truth, truth + rng.normal(0.0, 1.0, len(truth)) * sd)
    names = [f"p{i}" for i in range(n_processes)]
    flows = tuple(
        FlowInput(
            f"f{k}",
            None if t < 0 else names[t],
            None if h < 0 else names[h],
            None if m == "missing" else float(v),
            None if m == "missing" else float(s),
        )
        for k, (t, h, v, s, m) in enumerate(
            zip(*(a.tolist() for a in (tails, heads, reported, sd, how)), strict=True)
        )
    )
    stock_sd = 0.5
    stocks = tuple(
        StockInput(names[i], float(stock_truth[i] + rng.normal(0.0, stock_sd)), stock_sd)
        for i in range(n_processes)
    )
    return FlowSystem(tuple(names), flows, stocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=5000)
    parser.add_argument("--flows", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--unmeasured", type=float, default=0.05, help="share not reported")
    args = parser.parse_args()
    system = park_year(args.processes, args.flows, args.seed, args.unmeasured)
    start = time.perf_counter()
    result = reconcile(system)
    wall = time.perf_counter() - start
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    reconcile(system)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    flagged = sum(e.flagged for e in result.flows.values())
    sizes = (len(system.processes), len(system.flows), len(system.stocks))
    print("processes {}, flows {}, stocks {}".format(*sizes))
    print(f"dof {result.dof}, chi_square {result.chi_square:.1f}, p_value {result.p_value:.3f}")
    print(f"undetermined {len(result.undetermined)}, flagged {flagged}")
    print(f"reconcile wall time {wall:.2f} s (target < 5 s)")
    print(
        f"peak memory: maxrss {maxrss_mb:.0f} MB (whole process), reconcile allocations "
        f"{peak / 2**20:.0f} MB (tracemalloc); target < 2048 MB"
    )


if __name__ == "__main__":
    main()
