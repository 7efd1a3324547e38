"""What synchronous=FULL costs a write on SQLite in WAL mode, against NORMAL.

With NORMAL, a WAL-mode commit is only written to the operating system; the WAL is synced at
checkpoints, so a power loss can take transactions already acknowledged. FULL syncs the WAL
at every commit. This prints, for each setting, the time per commit of a bare one-row
transaction and of the app's own write, a batch registration (one event, its ledger row, the
chain head and the monthly totals), in a database file on the disk of ``--folder`` (a tmpfs
folder, often /tmp, syncs for free and would show no difference).

    .venv/bin/python bench/sync_cost.py                    # in ./instance/bench-sync
    .venv/bin/python bench/sync_cost.py --writes 300 --folder /var/tmp/x
"""

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from circularity import create_app, db, migrate  # noqa: E402


def bare_commits(path: Path, synchronous: str, writes: int) -> list[float]:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    times = []
    for i in range(writes):
        start = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
        connection.execute("COMMIT")
        times.append(time.perf_counter() - start)
    connection.close()
    return times


def registrations(path: Path, synchronous: str, writes: int) -> list[float]:
    from circularity.db import get_engine, get_session
    from circularity.services import accounts, custody

    db.SQLITE_SYNCHRONOUS = synchronous
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    times = []
    with app.app_context():
        session = get_session()
        company = accounts.create_company(
            session, name="Bench", sector="steel", lat=31.6, lon=121.2
        )
        user = accounts.create_user(
            session,
            email=f"{uuid.uuid4().hex[:8]}@bench.test",
            name="Bench",
            password="bench bench bench",
            role="staff",
            company_id=company.id,
        )
        for _ in range(writes):
            start = time.perf_counter()
            custody.register(
                session,
                user,
                material="170405",
                quantity_value="1",
                unit="t",
                basis="weighed",
                client_event_id=uuid.uuid4().hex,
            )
            times.append(time.perf_counter() - start)
    get_engine(app).dispose()
    return times


def line(label: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"  {label:<22} median {statistics.median(ms):7.3f} ms   p95 {p95:7.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--folder", type=Path, default=Path("instance") / "bench-sync")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    results = {}
    try:
        for synchronous in ("NORMAL", "FULL"):
            bare = bare_commits(
                args.folder / f"bare-{synchronous}.sqlite", synchronous, args.writes
            )
            app = registrations(args.folder / f"app-{synchronous}.sqlite", synchronous, args.writes)
            results[synchronous] = (bare, app)
    finally:
        shutil.rmtree(args.folder, ignore_errors=True)
    print(f"SQLite {sqlite3.sqlite_version}, WAL, {args.writes} writes each, in {args.folder}")
    for synchronous, (bare, app) in results.items():
        print(f"synchronous={synchronous}")
        print(line("bare one-row commit", bare))
        print(line("batch registration", app))
    for index, what in ((0, "bare commit"), (1, "registration")):
        extra = statistics.median(results["FULL"][index]) - statistics.median(
            results["NORMAL"][index]
        )
        print(f"FULL costs {extra * 1000:+.3f} ms a {what} (median against NORMAL)")


if __name__ == "__main__":
    main()
