"""Open-loop load on the app served as in production, beside a bare Flask endpoint.

Phones in a park do not wait for each other: people scan when they reach a batch, however
slow the server is for someone else. So visits arrive at a fixed offered rate, as a Poisson
process (exponential gaps from a seeded random generator), whatever the server does; a visit
that is due is started at once even if earlier ones are still waiting, and each request's
latency counts from when it was meant to be sent. Queueing delay therefore shows in the
latencies instead of slowing the load down (no coordinated omission).

The mix, by share of visits (bench/load_phones.py has each visit and its checks):

- 70 % scan: a staff member's GET /scan?code=<code> and the batch page it redirects to
  (2 requests);
- 20 % ship/receive: the holder opens the ship form fragment and posts it, follows the
  redirect; the receiver opens the batch page and posts the receipt, follows the redirect
  (6 requests), on a pool of batches of which each is in one visit at a time;
- 10 % management: the dashboard (/dashboard/, the last 12 months or this year), then one
  of the analysis pages it links to (/analysis/ for the park, a company or by material, or
  /analysis/reconcile, for the last 30, 90 or 180 days) (2 requests).

**Offered rate** is in HTTP requests per second: visits arrive at offered / 2.8 a second,
2.8 being the mean requests of a visit (0.7 x 2 + 0.2 x 6 + 0.1 x 2). Within a visit the
requests follow each other as a phone sends them, each as soon as the previous answer is in.
The bare endpoint (GET /_bare/, bench/bare_app.py) is loaded the same way, one request a visit.

Each step runs --seconds at one offered rate after a warm-up at the first, and prints the
achieved rate (answers within the step's time), p50 / p95 / p99 latency, failed visits, and
CPU per answered request of gunicorn's workers, of the load generator and, on a PostgreSQL the
benchmark started, of the database. Stepping up stops once a step is saturated (p95 over
--stop-p95-ms or more than --stop-errors of its visits failed). The knee is the highest
offered rate up to which every step kept p95 under 50 ms with no failed visit.

    .venv/bin/python bench/serve_load.py                          # SQLite, 20 s a step
    .venv/bin/python bench/serve_load.py --rates 25,50,100 --seconds 10
    .venv/bin/python bench/serve_load.py --scenario mix --database postgres
    .venv/bin/python bench/serve_load.py --database-url postgresql+psycopg://u@127.0.0.1/db

Set-up: the demo park is seeded into a fresh database with ``circularity seed-demo``, and the
app served by gunicorn as the README deploys it (gthread, one worker a core, --reuse-port;
one thread a worker on SQLite, two on PostgreSQL) on 127.0.0.1. Everything runs on this
machine: the load generator (asyncio with aiohttp on uvloop, the least CPU a request of the
clients measured here) shares its cores with the server, for the app and the bare endpoint
alike, which is why the generator's CPU per request is printed too.
"""

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import aiohttp
import load_phones
import load_server
from load_phones import Failed, Park, Recorder

KNEE_P95_MS = 50.0
DEFAULT_RATES = "25,50,100,150,200,250,300,400,500,700,1000,1500,2000,3000"


@dataclass
class Step:
    """One offered rate held for a step's seconds, and what came of it."""

    target: str
    offered: float
    seconds: float
    visits: int
    recorder: Recorder
    cpu: tuple[float, float, float | None]  # generator, server, database seconds

    @property
    def answered(self) -> int:
        return len(self.recorder.samples)

    @property
    def achieved(self) -> float:
        return self.recorder.in_window / self.seconds

    def failed(self, scenario: str | None = None) -> int:
        failed = self.recorder.failed
        return failed[scenario] if scenario else sum(failed.values())

    def p(self, q: int, scenario: str | None = None) -> float:
        return percentile(self.recorder.latencies(scenario), q) * 1000

    def cpu_ms(self, which: int) -> float | None:
        used = self.cpu[which]
        return None if used is None else used / max(self.answered, 1) * 1000

    def saturated_by(self, args: argparse.Namespace) -> str | None:
        """Why stepping up should stop after this step, or None."""
        if self.p(95) > args.stop_p95_ms:
            return f"p95 over {args.stop_p95_ms:g} ms"
        if self.failed() > args.stop_errors * max(self.visits, 1):
            return f"more than {args.stop_errors:.0%} of the visits failed"
        return None

    def within_knee(self, scenario: str | None = None) -> bool:
        """p95 under 50 ms and no failed visit, for the whole step or one scenario's part."""
        return self.p(95, scenario) < KNEE_P95_MS and self.failed(scenario) == 0


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def requests_per_visit(mix: dict) -> float:
    return sum(share * requests for _visit, share, requests in mix.values())


def schedule(mix: dict, rate: float, seconds: float, rng: random.Random) -> list[tuple]:
    """Poisson arrivals of visits for ``rate`` HTTP requests a second: (offset, scenario)."""
    visits_per_second = rate / requests_per_visit(mix)
    names = list(mix)
    shares = [mix[n][1] for n in names]
    plan, at = [], rng.expovariate(visits_per_second)
    while at < seconds:
        plan.append((at, rng.choices(names, shares)[0]))
        at += rng.expovariate(visits_per_second)
    return plan


async def _guarded(name: str, visit, http, park: Park, recorder: Recorder, at, seed) -> None:
    """One visit; a wrong answer or a failed request ends it and counts as its error."""
    try:
        await visit(http, park, recorder, at, random.Random(seed))
    except Failed as error:
        recorder.fail(name, str(error))
    except (TimeoutError, aiohttp.ClientError, OSError) as error:
        recorder.fail(name, type(error).__name__)


async def run_step(
    http, park: Park, target: str, rate: float, seconds: float, meter, args: argparse.Namespace
) -> Step:
    """Start every visit at its scheduled time, never later because others are slow; then
    let the visits still under way finish (at most --drain seconds) so their latency counts."""
    mix = load_phones.MIX if target == "mix" else load_phones.BARE
    rng = random.Random(f"{args.seed}-{target}-{rate}")
    plan = schedule(mix, rate, seconds, rng)
    recorder = Recorder()
    loop = asyncio.get_running_loop()
    before = meter.read()
    start = loop.time()
    tasks = {}
    for offset, name in plan:
        delay = start + offset - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        visit = _guarded(name, mix[name][0], http, park, recorder, start + offset, rng.random())
        tasks[asyncio.create_task(visit)] = name
    await asyncio.sleep(max(0.0, start + seconds - loop.time()))
    recorder.in_window = sum(1 for *_x, done in recorder.samples if done <= start + seconds)
    _done, pending = await asyncio.wait(tasks, timeout=args.drain) if tasks else (set(), set())
    for task in pending:
        task.cancel()
        recorder.fail(tasks[task], f"unfinished {args.drain:g} s after the step")
    await asyncio.gather(*pending, return_exceptions=True)
    after = meter.read()
    cpu = tuple(None if b is None else a - b for a, b in zip(after, before, strict=True))
    return Step(target, rate, seconds, len(plan), recorder, cpu)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


HEADER = (
    f"{'target':<7}{'offered':>8}{'achieved':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
    f"{'failed':>7}{'server':>8}{'gen':>6}{'db':>6}"
)
BY_SCENARIO = "  p95 ms of " + " / ".join(load_phones.MIX)


def print_step(step: Step) -> None:
    by_scenario = ""
    if step.target == "mix":
        by_scenario = " / ".join(f"{step.p(95, name):.1f}" for name in load_phones.MIX)
    print(
        f"{step.target:<7}{step.offered:>8g}{step.achieved:>9.1f}{step.p(50):>8.1f}"
        f"{step.p(95):>8.1f}{step.p(99):>8.1f}{step.failed():>7}{_ms(step.cpu_ms(1)):>8}"
        f"{_ms(step.cpu_ms(0)):>6}{_ms(step.cpu_ms(2)):>6}  {by_scenario}",
        flush=True,
    )
    for what, count in sorted(step.recorder.errors.items()):
        print(f"          failed: {what} x{count}", flush=True)


async def run_target(http, park: Park, target: str, meter, args) -> tuple[list[Step], Counter]:
    """A warm-up, then the steps up to the first saturated one; answers the steps and the
    shipments and receipts the server took in all of them, warm-up included."""
    warm = await run_step(http, park, target, args.rates[0], args.warm_up, meter, args)
    if warm.failed():
        print(f"{target} warm-up: {warm.failed()} failed visits: {dict(warm.recorder.errors)}")
    steps = []
    for rate in args.rates:
        await asyncio.sleep(1)  # the previous step's last answers and the server settle
        step = await run_step(http, park, target, rate, args.seconds, meter, args)
        print_step(step)
        steps.append(step)
        if reason := step.saturated_by(args):
            print(f"          saturated ({reason}): not stepping up", flush=True)
            break
    recorded = Counter()
    for step in [warm, *steps]:
        recorded.update(step.recorder.recorded)
    return steps, recorded


def knee(steps: list[Step], scenario: str | None = None) -> float | None:
    """The highest offered rate up to which every step met p95 < 50 ms without errors
    (for one scenario of the mix: its own requests' p95 and its own visits)."""
    best = None
    for step in steps:
        if not step.within_knee(scenario):
            break
        best = step.offered
    return best


async def run(
    base: str, targets: list[str], meter, args: argparse.Namespace
) -> tuple[dict[str, list[Step]], Counter]:
    """Prepare the park (for the mix), then each target's steps over one client session."""
    connector = aiohttp.TCPConnector(
        # gunicorn closes a keep-alive connection idle for 2 s; the client gives it up
        # first, so a POST is never sent on a connection the server is closing.
        limit=args.connections,
        keepalive_timeout=1.0,
    )
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as http:
        if "mix" in targets:
            park = await load_phones.prepare_park(http, base, args.pool)
            print(
                f"{len(park.pool)} batches in the ship/receive pool; "
                f"{sum(map(len, park.scan_codes.values()))} codes to scan\n",
                flush=True,
            )
        else:
            park = Park(base, {}, {}, {}, [])
        print("offered and achieved: HTTP requests/s; server, gen(erator), db: CPU ms a request")
        print(HEADER + (BY_SCENARIO if "mix" in targets else ""), flush=True)
        results, recorded = {}, Counter()
        for target in targets:
            results[target], took = await run_target(http, park, target, meter, args)
            recorded.update(took)
            await asyncio.sleep(2)
        return results, recorded


def _spin(_=None) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i
    return time.perf_counter() - started


def parallel_capacity() -> float:
    """How many cores' worth of work the machine gives right now: one busy process alone,
    then two at once. A virtual machine's two cores are not always two cores."""
    alone = min(_spin() for _ in range(3))
    # The pool stops its workers with SIGTERM, which this process turns into an interrupt.
    reset = (signal.SIGTERM, signal.SIG_DFL)
    with get_context("fork").Pool(2, initializer=signal.signal, initargs=reset) as pool:
        together = max(pool.map(_spin, range(2)))
    return 2 * alone / together


def report(
    results: dict[str, list[Step]], recorded: Counter, counted: dict[str, int], first: float
) -> None:
    """The knees, and whether the log holds exactly the shipments and receipts posted."""

    def rate(found: float | None) -> str:
        return f"{found:g} requests/s" if found is not None else f"below {first:g} requests/s"

    print()
    for target, steps in results.items():
        print(f"knee ({target}): {rate(knee(steps))} (p95 < {KNEE_P95_MS:g} ms, no failed visit)")
    if "mix" in results:
        # The mix's knee is set by its slowest requests; each scenario's own tells which.
        parts = [f"{name} {rate(knee(results['mix'], name))}" for name in load_phones.MIX]
        print(f"  the mix's scenarios, each by its own requests: {'; '.join(parts)}")
        for operation in ("ship", "receive"):
            new, posted = counted.get(operation, 0), recorded.get(operation, 0)
            verdict = "as posted" if new == posted else "MISMATCH"
            print(f"{operation} events recorded: {new}, posts answered 303: {posted} ({verdict})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default=DEFAULT_RATES, help="offered HTTP requests/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="per step")
    parser.add_argument("--warm-up", type=float, default=5.0, help="seconds, at the first rate")
    parser.add_argument("--scenario", choices=["all", "mix", "bare"], default="all")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url",
        help="an existing database instead (seeded if empty; the run writes batches to it)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, help="per worker (1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--pool", type=int, default=60, help="ship/receive batches per pair")
    parser.add_argument("--stop-p95-ms", type=float, default=1000.0)
    parser.add_argument("--stop-errors", type=float, default=0.05, help="share of visits")
    parser.add_argument("--drain", type=float, default=15.0, help="seconds after a step")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--connections", type=int, default=1000, help="client's pool limit")
    parser.add_argument("--seed", type=int, default=2028)
    args = parser.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if not args.rates or min(args.rates) <= 0:
        parser.error("--rates needs positive numbers, e.g. 25,50,100")
    postgres = args.database == "postgres" or (args.database_url or "").startswith("postgres")
    args.threads = args.threads or (2 if postgres else 1)
    return args


def open_database(stack: ExitStack, args: argparse.Namespace, folder: str):
    """The database's URL, and the postmaster's pid when the benchmark started PostgreSQL."""
    if args.database_url:
        return args.database_url, None
    if args.database == "postgres":
        return stack.enter_context(load_server.local_postgres())
    return f"sqlite:///{Path(folder) / 'bench.sqlite'}", None


def app_environment(url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench secret shared by the workers",
        "BASE_URL": f"http://127.0.0.1:{port}",
        # The set-up logs in a score of people from one address, beyond the usual limit.
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }


def seed(env: dict[str, str]) -> None:
    started = time.perf_counter()
    seeded = load_server.seed_demo(env)
    print(
        f"{'seeded the demo park' if seeded else 'the database has a park: reusing it'} "
        f"in {time.perf_counter() - started:.0f} s ({env['DATABASE_URL'].split('://')[0]})",
        flush=True,
    )


def main(args: argparse.Namespace) -> None:
    targets = ["bare", "mix"] if args.scenario == "all" else [args.scenario]
    print(f"parallel capacity: {parallel_capacity():.2f} of {os.cpu_count()} cores")
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="circularity-bench-"))
        url, postmaster = open_database(stack, args, folder)
        port = load_server.free_port()
        env = app_environment(url, port)
        if "mix" in targets:  # the bare endpoint alone needs no park
            seed(env)
        server = stack.enter_context(load_server.gunicorn(env, port, args.workers, args.threads))
        print(
            f"gunicorn -k gthread -w {args.workers} --threads {args.threads} --reuse-port "
            f"on 127.0.0.1:{port}; {args.seconds:g} s a step, warm-up {args.warm_up:g} s",
            flush=True,
        )
        meter = load_server.CpuMeter(server.pid, postmaster)
        before = load_server.event_counts(url) if "mix" in targets else {}
        results, recorded = _event_loop_run(run(f"http://127.0.0.1:{port}", targets, meter, args))
        after = load_server.event_counts(url) if "mix" in targets else {}
    counted = {op: after.get(op, 0) - before.get(op, 0) for op in after}
    report(results, recorded, counted, args.rates[0])
    print(f"parallel capacity after the run: {parallel_capacity():.2f} of {os.cpu_count()} cores")


def _event_loop_run(coroutine):
    """uvloop where it is installed (Linux, macOS): it cost the generator the least CPU."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _exit_on_sigterm(_signum, _frame) -> None:
    """A terminated run unwinds like an interrupted one: the server and the database stop."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        main(parse_args())
    except KeyboardInterrupt:
        sys.exit("interrupted; the server and the database were stopped")
