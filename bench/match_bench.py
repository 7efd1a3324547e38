"""Matching benchmark: `circularity match` beside OR-Tools on families of markets, whole processes.

    python -m bench.match_bench                          # every family, park and region
    python -m bench.match_bench --scale park             # one scale
    python -m bench.match_bench --family spread --family issue --scale region
    python -m bench.match_bench --scale park --solver circularity --solver ortools \\
        --solver engine --solver highs --solver networkx

The markets are `bench.match_families`' families (fixed seeds) and `clustered`, the market of
`bench.match_instance`. Each is written to a temporary file; then, in the same run and back to
back, each solver is a child process timed by wall clock, its peak memory read from the
operating system's accounting of that child (os.wait4, the figure /usr/bin/time reports as
maxrss). `circularity` is the whole command line, start-up included; `ortools` is OR-Tools'
SimpleMinCostFlow on the whole market as one network, every pair arc bounded by
min(offer, demand) (`bench.match_reference`); `engine` is `mfa.matching` in a bare process,
`highs` scipy's HiGHS on the LP of all pairs, `networkx` its network simplex (the last two only
for parks: they need tens of seconds there). Every optimum is compared with ours and must agree
to 1e-4 relative. The closing table gives each market's time ratio, ours over OR-Tools'.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import match_families, match_instance

ROOT = Path(__file__).resolve().parent.parent
SOLVERS = ("circularity", "ortools", "engine", "highs", "networkx")
MARKETS = (*match_families.FAMILIES, "clustered")


def market(name: str, scale: str) -> dict:
    """The instance of one market at one scale, always drawn afresh from its fixed seed."""
    if name == "clustered":
        return match_instance.generate(scale)
    return match_families.generate(name, scale)


def command(solver: str, instance: Path, result: Path) -> list[str]:
    if solver == "circularity":
        # The `circularity` console script, spelled out so it runs from a checkout as well.
        script = "from circularity.cli import cli; cli()"
        return [sys.executable, "-c", script, "match", str(instance), "-o", str(result)]
    return [sys.executable, "-m", "bench.match_reference", solver, str(instance)]


def measure(argv: list[str], timeout: float) -> dict:
    """Run one child; wall seconds, peak RSS in MB, its stdout, or that it timed out."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,  # Linux reports kilobytes
        "ok": os.waitstatus_to_exitcode(status) == 0,
        "timed_out": seconds >= timeout,
        "stdout": out.decode(),
        "stderr": err.decode()[-500:],
    }


def run_market(name: str, scale: str, solvers: list[str], timeout: float) -> list[dict]:
    """Every solver on one market, back to back; one row per solver."""
    rows = []
    ours = None
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / f"{name}-{scale}.json"
        instance.write_text(json.dumps(market(name, scale)), encoding="utf-8")
        for solver in solvers:
            result = Path(tmp) / "result.json"
            row = {"market": name, "scale": scale, "solver": solver}
            row.update(measure(command(solver, instance, result), timeout))
            row["optimum"] = None
            if row["ok"] and solver == "circularity":
                doc = json.loads(result.read_text(encoding="utf-8"))
                row["optimum"] = doc["total_net_kgco2e"]
                row["pairs"] = doc["optimality"]["eligible_pairs"]
                row["lp_columns"] = doc["optimality"]["pairs_priced_into_lp"]
                row["lp_rounds"] = doc["optimality"]["lp_rounds"]
                ours = row["optimum"]
            elif row["ok"]:
                row["optimum"] = json.loads(row["stdout"])["optimum"]
            rows.append(row)
            print(format_row(row, ours), flush=True)
    return rows


def format_row(row: dict, ours: float | None) -> str:
    if row["timed_out"]:
        state = "stopped at the time limit"
    elif not row["ok"]:
        state = "failed: " + row["stderr"].strip().splitlines()[-1] if row["stderr"] else "failed"
    else:
        agree = ""
        if ours is not None and row["optimum"] is not None and row["solver"] != "circularity":
            rel = abs(row["optimum"] - ours) / max(abs(ours), 1.0)
            agree = f"  rel. diff to ours {rel:.1e} {'ok' if rel <= 1e-4 else 'DIFFERENT'}"
        state = f"optimum {row['optimum']:,.1f} kg CO2e{agree}"
    extra = ""
    if "pairs" in row:
        extra = f"  [{row['pairs']:,} eligible pairs, {row['lp_columns']:,} in LP, " \
                f"{row['lp_rounds']} rounds]"  # fmt: skip
    return (
        f"{row['market']:<15}{row['scale']:<7}{row['solver']:<12}{row['seconds']:8.2f} s "
        f"{row['peak_mb']:7.0f} MB  {state}{extra}"
    )


def summary(rows: list[dict]) -> str:
    """One line per market and scale: ours against OR-Tools, time and memory."""
    lines = [
        "| market | scale | eligible pairs | circularity match | OR-Tools | time ratio |",
        "|---|---|---:|---:|---:|---:|",
    ]
    keyed = {(r["market"], r["scale"], r["solver"]): r for r in rows}
    for name, scale in dict.fromkeys((r["market"], r["scale"]) for r in rows):
        ours, ref = keyed.get((name, scale, "circularity")), keyed.get((name, scale, "ortools"))
        if not (ours and ref and ours["ok"] and ref["ok"]):
            continue
        lines.append(
            f"| {name} | {scale} | {ours['pairs']:,} | {ours['seconds']:.2f} s, "
            f"{ours['peak_mb']:,.0f} MB | {ref['seconds']:.2f} s, {ref['peak_mb']:,.0f} MB | "
            f"{ours['seconds'] / ref['seconds']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("park", "region"), action="append")
    parser.add_argument("--family", choices=MARKETS, action="append")
    parser.add_argument("--solver", choices=SOLVERS, action="append")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--json", help="also write every row to this file")
    args = parser.parse_args()
    solvers = args.solver or ["circularity", "ortools"]
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    rows = []
    for scale in args.scale or ["park", "region"]:
        for name in args.family or MARKETS:
            chosen = [s for s in solvers if scale == "park" or s not in ("highs", "networkx")]
            rows += run_market(name, scale, chosen, args.timeout)
    print(summary(rows))
    if args.json:
        for row in rows:
            row.pop("stdout", None)
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
