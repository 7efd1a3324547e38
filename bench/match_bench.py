"""Matching benchmark: `circularity match` beside general solvers, each a whole process.

    python -m bench.match_bench                 # park (all four) and region (ours, OR-Tools)
    python -m bench.match_bench --scale park    # one scale only
    python -m bench.match_bench --timeout 300   # seconds before a run is stopped

Instances come from `bench.match_instance` with its fixed seed and are written to bench/out/.
`engine` is the same engine in a bare Python process, without the command line's start-up.
Every run is a child process timed by wall clock, its peak memory read from the operating
system's accounting of that child (os.wait4, the figure /usr/bin/time reports as maxrss).
The optimum of each run is compared with ours; all must agree to 1e-4 relative. networkx and
scipy's HiGHS on the whole market are left out at regional scale: on the park they already need
tens of seconds for 160 thousand pairs, and the region has sixty times as many.
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

from bench.match_instance import generate

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent

#: What each scale runs; the references are the ones that finish in reasonable time.
RUNS = {
    "park": ["circularity", "engine", "ortools", "highs", "networkx"],
    "region": ["circularity", "engine", "ortools"],
}


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


def run_scale(scale: str, timeout: float) -> list[dict]:
    OUT.mkdir(exist_ok=True)
    instance = OUT / f"{scale}.json"
    if not instance.exists():
        with open(instance, "w", encoding="utf-8") as handle:
            json.dump(generate(scale), handle)
    rows = []
    ours = None
    with tempfile.TemporaryDirectory() as tmp:
        for solver in RUNS[scale]:
            result = Path(tmp) / "result.json"
            row = {"scale": scale, "solver": solver, **measure(command(solver, instance, result),
                                                              timeout)}  # fmt: skip
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
        if ours is not None and row["optimum"] is not None:
            rel = abs(row["optimum"] - ours) / max(abs(ours), 1.0)
            agree = f"  rel. diff to ours {rel:.1e} {'ok' if rel <= 1e-4 else 'DIFFERENT'}"
        state = f"optimum {row['optimum']:,.1f} kg CO2e{agree}"
    extra = ""
    if "pairs" in row:
        extra = f"  [{row['pairs']:,} eligible pairs, {row['lp_columns']:,} in LP, " \
                f"{row['lp_rounds']} rounds]"  # fmt: skip
    return (
        f"{row['scale']:<7}{row['solver']:<12}{row['seconds']:8.2f} s {row['peak_mb']:8.0f} MB  "
        f"{state}{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(RUNS), action="append")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    for scale in args.scale or ["park", "region"]:
        run_scale(scale, args.timeout)


if __name__ == "__main__":
    main()
