"""Benchmark: the analysis pages' work for a park-year of custody events.

Prints the time to turn the ledger into records and stocks (one query, circularity.services.
analysis) and to reconcile, compute the indicators and lay out the Sankey; the target is a couple
of seconds for 100,000 events. Run from the repository root:
``python bench/analysis_events.py [--batches N] [--companies C] [--seed S]``.

Each batch is registered, shipped, received a little short and closed (R4, R1 or D1), four events
a batch. The rows are bulk-inserted into a temporary SQLite database, bypassing the services and
the hash chain: what is measured is reading and analysing the ledger, not writing it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from circularity import create_app, migrate  # noqa: E402
from circularity.db import get_engine, get_session, make_engine  # noqa: E402
from circularity.models import Batch, Company, Event, EventBatch, User  # noqa: E402
from circularity.services import figures  # noqa: E402
from circularity.services.analysis import records

YEAR = datetime(2025, 1, 1, tzinfo=UTC)


def ledger(n_batches: int, n_companies: int, seed: int) -> tuple[list, list, list]:
    """Batches, events and ledger rows of a generated year; see the module docstring."""
    rng = random.Random(seed)
    batches, events, rows = [], [], []

    def event(operation: str, when: datetime, company: int, **columns) -> int:
        # Every row names every column: an executemany takes its columns from the first row.
        columns = {"source_company_id": None, "destination_company_id": None, "route": None,
                   **columns}  # fmt: skip
        seq = len(events) + 1
        events.append(
            dict(
                id=seq, seq=seq, event_id=f"urn:bench:{seq}", client_event_id=f"bench-{seq:08d}",
                operation=operation, event_type="ObjectEvent", biz_step="bench",
                disposition="active", event_time=when, event_timezone_offset="+08:00",
                record_time=when, company_id=company, user_id=1,
                payload='{"ilmd":{"circ:basis":"weighed"}}', prev_hash="0", hash="0", **columns,
            )
        )  # fmt: skip
        return seq

    for b in range(1, n_batches + 1):
        sender = rng.randint(1, n_companies)
        receiver = rng.randint(1, n_companies - 1)
        receiver += receiver >= sender
        grams = rng.randint(1_000, 20_000_000)
        received = grams - rng.randint(0, min(2_000, grams))
        when = YEAR + timedelta(minutes=rng.randint(0, 360 * 24 * 60))
        batches.append(
            dict(id=b, code=f"BENCH{b:021d}", material_code="170405", company_id=receiver,
                 status="closed", mass_g=0, basis="weighed", origin="registered",
                 description="", created_at=when, version=1)
        )  # fmt: skip
        steps = [
            (event("register", when, sender), "object", grams),
            (event("ship", when + timedelta(hours=1), sender, source_company_id=sender,
                   destination_company_id=receiver), "object", 0),
            (event("receive", when + timedelta(hours=5), receiver), "object", received - grams),
            (event("close", when + timedelta(days=2), receiver,
                   route=rng.choice(("R4", "R1", "D1"))), "input", -received),
        ]  # fmt: skip
        rows += [dict(event_id=e, batch_id=b, role=r, mass_delta_g=d) for e, r, d in steps]
    return batches, events, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=25_000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
        batches, events, rows = ledger(args.batches, args.companies, args.seed)
        with app.app_context():
            session = get_session()
            connection = session.connection()
            now = datetime.now(UTC)
            connection.execute(insert(Company), [
                dict(id=i, name=f"Company {i}", sector="bench", lat=31.6, lon=121.2, active=True,
                     created_at=now)
                for i in range(1, args.companies + 1)
            ])  # fmt: skip
            admin = dict(id=1, email="bench@example.org", name="Bench", password_hash="-",
                         role="admin", active=True, created_at=now)  # fmt: skip
            connection.execute(insert(User), [admin])
            for table, values in ((Batch, batches), (Event, events), (EventBatch, rows)):
                connection.execute(insert(table), values)
            session.commit()
        print(f"{len(events):,} events, {len(batches):,} batches, {args.companies} companies")
        with app.test_request_context():
            session = get_session()
            period = records.Period(date(2025, 1, 1), date(2025, 12, 31))
            start = time.perf_counter()
            data = records.custody_data(session, period)
            steps = [("records and stocks", time.perf_counter() - start)]
            for name, work in (
                ("reconciliation", lambda: figures.reconciliation(data)),
                ("indicators", lambda: figures.indicators(data, figures.Scope())),
                ("sankey layout", lambda: figures.sankey(data, figures.Scope(), "company")),
            ):
                start = time.perf_counter()
                work()
                steps.append((name, time.perf_counter() - start))
            for name, seconds in steps:
                print(f"{name:>20}: {seconds:6.2f} s")
            print(
                f"{'total':>20}: {sum(s for _, s in steps):6.2f} s ({len(data.records):,} records)"
            )
        get_engine(app).dispose()


if __name__ == "__main__":
    main()
