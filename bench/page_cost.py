"""CPU time of each management page of the load mix, in one process, without HTTP.

The load benchmark's management visits (bench/load_phones.py, ``management``) open the
dashboard, for the last 12 months or this year, and then one analysis page: the park, a
company or the flows by material (``/analysis/``), or the reconciliation
(``/analysis/reconcile``), for the 30, 90 or 180 days up to today. Each costs far more than a
scan, so they decide the mix's p95. This calls the WSGI app with the Flask test client as
``management@demo.circularity``, request after request, and prints for each of these pages
the best and the median process CPU time per request over ``--rounds`` rounds, so a change to
one page can be judged on its own. ``--profile`` prints a cProfile of one page instead.

    python bench/page_cost.py                           # seeds the demo park in a temp folder
    python bench/page_cost.py --database park.sqlite    # reuses a seeded file (copied first)
    python bench/page_cost.py --profile "/analysis/reconcile?start=...&end=..."
    python bench/page_cost.py --profile reconcile-180   # a page by its name below
"""

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from in_process import log_in, seeded_database

MANAGER = "management@demo.circularity"
PASSWORD = "circularity-demo"
#: The company of the company-scope page: the steel mill, one of the load mix's scanners.
COMPANY_OF = "steel@demo.circularity"


def pages(company_id: int, today: date) -> dict[str, str]:
    """Every management address of the load mix, by a short name."""
    out = {
        "dashboard-12m": "/dashboard/",
        "dashboard-year": f"/dashboard/?period={today.year}",
    }
    for days in (30, 90, 180):
        period = {"start": (today - timedelta(days=days)).isoformat(), "end": today.isoformat()}
        out[f"analysis-{days}"] = f"/analysis/?{urlencode(period)}"
        out[f"company-{days}"] = f"/analysis/?{urlencode({**period, 'company': company_id})}"
        out[f"material-{days}"] = f"/analysis/?{urlencode({**period, 'by': 'material'})}"
        out[f"reconcile-{days}"] = f"/analysis/reconcile?{urlencode(period)}"
    return out


def cpu_times(fn, rounds: int) -> list[float]:
    """Process CPU time of each of ``rounds`` calls after two warm-up calls, in ms."""
    fn()
    fn()
    times = []
    for _ in range(rounds):
        started = time.process_time()
        fn()
        times.append((time.process_time() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a seeded demo park SQLite file to copy")
    parser.add_argument("--rounds", type=int, default=15, help="requests per page")
    parser.add_argument("--only", help="only the pages whose name contains this")
    parser.add_argument("--profile", metavar="PAGE", help="a page's name or address to profile")
    parser.add_argument("--lines", type=int, default=40, help="lines of the profile to print")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="circularity-pages-") as folder:
        url = seeded_database(Path(folder), args.database)
        os.environ.update(
            DATABASE_URL=url, SECRET_KEY="bench", LOGIN_RATE_LIMIT="100000 per minute"
        )
        from sqlmodel import select
        from werkzeug.test import Client

        from circularity import create_app
        from circularity.db import get_session
        from circularity.models import User

        app = create_app()
        with app.app_context():
            session = get_session()
            company_id = session.exec(select(User.company_id).where(User.email == COMPANY_OF)).one()
        client = Client(app)
        log_in(client, MANAGER, PASSWORD)
        addresses = pages(company_id, date.today())

        def request(address: str):
            def get():
                response = client.get(address)
                assert response.status_code == 200, (address, response.status_code)

            return get

        if args.profile:
            address = addresses.get(args.profile, args.profile)
            get = request(address)
            get()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                get()
            profiler.disable()
            print(f"{address}, 5 requests:")
            stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
            stats.print_stats(args.lines)
            return

        print(f"CPU ms per request, {args.rounds} requests each (best / median):")
        for name, address in addresses.items():
            if args.only and args.only not in name:
                continue
            times = cpu_times(request(address), args.rounds)
            best, median = min(times), statistics.median(times)
            print(f"  {name:<16}{best:>8.1f}{median:>8.1f}   {address}")


if __name__ == "__main__":
    main()
