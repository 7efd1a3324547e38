"""Benchmark: the credit ledger page's server time for a park of 1,000,000 events; target < 300 ms.

Loads the park of bench/dashboard_load.py (two years of custody, 50 companies, four events a
batch, closings R4, R5, R1, D1 or D10 without outputs), then, as a management user with the
Flask test client, requests ``/carbon/credits`` before anything is booked (every R4 and R5
closing waits), books the credits with the ledger's POST (timed once: it assesses the park),
and requests the first, a middle and the last page of the booked ledger. Prints the median and
maximum time of each page. Run from the repository root: ``python bench/credits_load.py
[--events N] [--requests R]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import func, select  # noqa: E402

from bench.dashboard_load import PASSWORD, load  # noqa: E402
from circularity import create_app, migrate  # noqa: E402
from circularity.db import get_engine, get_session, make_engine  # noqa: E402
from circularity.models import Credit  # noqa: E402


def timed(client, page: str, requests: int) -> float:
    times = []
    for _ in range(requests + 1):  # the first request warms the caches
        begun = time.perf_counter()
        response = client.get(page, base_url="https://localhost")
        times.append((time.perf_counter() - begun) * 1000)
        assert response.status_code == 200, (page, response.status_code)
    times = times[1:]
    print(
        f"{page:>40}: median {statistics.median(times):7.1f} ms, "
        f"max {max(times):7.1f} ms, {len(response.data):,} bytes"
    )
    return max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        config = {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
        app = create_app(config)
        begun = time.perf_counter()
        load(app, args.events, args.companies, args.seed)
        print(f"loaded in {time.perf_counter() - begun:.0f} s")
        client = app.test_client()
        login = client.post("/login", data={"email": "mia@bench.test", "password": PASSWORD})
        assert login.status_code == 303, login.status_code
        worst = timed(client, "/carbon/credits", args.requests)
        begun = time.perf_counter()
        booked = client.post(
            "/carbon/credits/book", data={"confirmed": "1"}, base_url="https://localhost"
        )
        assert booked.status_code == 303, booked.status_code
        print(f"{'POST /carbon/credits/book':>40}: {time.perf_counter() - begun:7.1f} s")
        with app.app_context():
            entries = get_session().exec(select(func.count()).select_from(Credit)).one()
        print(f"{'ledger entries booked':>40}: {entries:,}")
        for page in ("/carbon/credits", "/carbon/credits?page=2"):
            worst = max(worst, timed(client, page, args.requests))
        print(f"{'slowest request':>40}: {worst:.1f} ms (target < 300 ms)")
        get_engine(app).dispose()


if __name__ == "__main__":
    main()
