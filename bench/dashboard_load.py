"""Benchmark: the dashboard pages' server time for a park of 1,000,000 events; target < 300 ms.

Generates two years of custody up to the current month: 50 companies, each producing three
materials and sending each to one or two partners; every batch is registered, shipped, received
a little short and closed (R4, R5, R1, D1 or D10): four events a batch. Events and ledger rows
are bulk-inserted into a temporary SQLite file, bypassing the services and the hash chain; the
monthly totals are then computed by circularity.services.analysis.monthly_totals.rebuild, the
code path the migration and ``circularity verify --rebuild-totals`` use. Each dashboard page is
requested with the Flask test client (a logged-in management user) and its time printed, median
and maximum. Run from the repository root: ``python bench/dashboard_load.py [--events N]
[--requests R]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from circularity import create_app, migrate  # noqa: E402
from circularity.db import get_engine, get_session, make_engine  # noqa: E402
from circularity.models import (  # noqa: E402
    INVENTORY_AREAS,
    Batch,
    Company,
    Event,
    EventBatch,
    InventoryEntry,
)
from circularity.services import accounts  # noqa: E402
from circularity.services.analysis import monthly_totals  # noqa: E402

MATERIALS = ("170405", "100202", "191202", "170904", "150101", "200301", "120101", "160601")
ROUTES = ("R4", "R4", "R5", "R1", "D1", "D10")
PASSWORD = "bench password 1"
CHUNK = 20_000  # batches per insert


def generate(first: int, count: int, streams: list, start: datetime, days: int, rng):
    """Batches, events and ledger rows of batches ``first`` .. ``first + count - 1``."""
    batches, events, rows = [], [], []
    for b in range(first, first + count):
        sender, material, receiver = rng.choice(streams)
        grams = rng.randint(1_000, 20_000_000)
        received = grams - rng.randint(0, min(2_000, grams))
        when = start + timedelta(minutes=rng.randint(0, days * 24 * 60 - 3 * 24 * 60))
        batches.append(
            dict(
                id=b,
                code=f"BENCH{b:021d}",
                material_code=material,
                company_id=receiver,
                status="closed",
                mass_g=0,
                basis="weighed",
                origin="registered",
                description="",
                created_at=when,
                version=1,
            )
        )
        steps = [("register", when, sender, None, None, None, grams),
                 ("ship", when + timedelta(hours=1), sender, sender, receiver, None, 0),
                 ("receive", when + timedelta(hours=5), receiver, None, None, None,
                  received - grams),
                 ("close", when + timedelta(days=2), receiver, None, None, rng.choice(ROUTES),
                  -received)]  # fmt: skip
        batches[-1]["closing_operation"] = steps[-1][5]  # as the services write a closing
        for k, (operation, at, company, source, destination, route, delta) in enumerate(steps):
            seq = (b - 1) * 4 + k + 1
            events.append(dict(
                id=seq, seq=seq, event_id=f"urn:bench:{seq}", client_event_id=f"bench-{seq:09d}",
                operation=operation, event_type="ObjectEvent", biz_step="bench",
                disposition="active", event_time=at, event_timezone_offset="+08:00",
                record_time=at, company_id=company, user_id=1, source_company_id=source,
                destination_company_id=destination, route=route, payload="{}", prev_hash="0",
                hash="0"))  # fmt: skip
            rows.append(dict(event_id=seq, batch_id=b, role="input" if operation == "close"
                             else "object", mass_delta_g=delta))  # fmt: skip
    return batches, events, rows


def load(app, n_events: int, companies: int, seed: int) -> None:
    rng = random.Random(seed)
    streams = []
    for c in range(1, companies + 1):
        for material in rng.sample(MATERIALS, 3):
            for partner in rng.sample([p for p in range(1, companies + 1) if p != c],
                                      rng.randint(1, 2)):  # fmt: skip
                streams.append((c, material, partner))
    today = datetime.now(UTC)
    start = datetime(today.year - 2, today.month, 1, tzinfo=UTC)
    days = (today - start).days
    with app.app_context():
        session = get_session()
        connection = session.connection()
        now = datetime.now(UTC)
        connection.execute(insert(Company), [
            dict(id=i, name=f"Company {i}", sector="bench", lat=31.6, lon=121.2, active=True,
                 created_at=now) for i in range(1, companies + 1)])  # fmt: skip
        session.commit()
        accounts.create_user(session, email="mia@bench.test", name="Mia", password=PASSWORD,
                             role="management", company_id=None)  # fmt: skip
        n_batches = n_events // 4
        for first in range(1, n_batches + 1, CHUNK):
            batches, events, rows = generate(first, min(CHUNK, n_batches - first + 1), streams,
                                             start, days, rng)  # fmt: skip
            connection = session.connection()
            for table, values in ((Batch, batches), (Event, events), (EventBatch, rows)):
                connection.execute(insert(table), values)
            session.commit()
        session.connection().execute(
            insert(InventoryEntry),
            [
                dict(
                    area=area,
                    year=year,
                    month=0,
                    tco2e=1000.0 - 150 * (year - start.year),
                    source="bench",
                    user_id=1,
                    created_at=now,
                )
                for area in INVENTORY_AREAS
                for year in (start.year, start.year + 1, today.year)
            ],
        )
        session.commit()  # fmt: skip
        begun = time.perf_counter()
        totals = monthly_totals.rebuild(session)
        print(f"{n_batches * 4:,} events, {n_batches:,} batches, {companies} companies, "
              f"{len(streams)} streams; monthly totals rebuilt from the log in "
              f"{time.perf_counter() - begun:.1f} s: {totals:,} rows")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})  # fmt: skip
        load(app, args.events, args.companies, args.seed)
        client = app.test_client()
        login = client.post("/login", data={"email": "mia@bench.test", "password": PASSWORD})
        assert login.status_code == 303, login.status_code
        year = datetime.now(UTC).year - 1
        pages = ["/dashboard/", f"/dashboard/?period={year}",
                 *(f"/dashboard/{name}.csv" for name in
                   ("indicators", "trend", "streams", "companies", "balance", "flows")),
                 "/dashboard/report.pdf"]  # fmt: skip
        worst = 0.0
        for page in pages:
            times = []
            for _ in range(args.requests + 1):  # the first request warms the caches
                begun = time.perf_counter()
                response = client.get(page, base_url="https://localhost")
                times.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200, (page, response.status_code)
            times = times[1:]
            worst = max(worst, max(times))
            print(f"{page:>34}: median {statistics.median(times):6.1f} ms, "
                  f"max {max(times):6.1f} ms, {len(response.data):,} bytes")  # fmt: skip
        print(f"{'slowest request':>34}: {worst:.1f} ms (target < 300 ms)")
        get_engine(app).dispose()


if __name__ == "__main__":
    main()
