"""CPU time of the scan and ship/receive requests, in one process, without HTTP.

The load benchmark (bench/serve_load.py) shows what the whole machine does under an open-loop
mix of requests; its figures move with whatever else the virtual machine's cores are doing. This
one calls the WSGI app directly, one request after the other, and reports the process CPU time
per request (the best of five rounds), so that a change to one request can be judged on its own:

- the scan redirect (``GET /scan?code=``) and the batch page it opens, for codes the steel
  mill's staff may see (some held by the mill, with its action forms, some not), and the
  page of a batch shipped and received 100 times (201 events in its history);
- a bare Flask endpoint answering ``ok``, the same yardstick as the load benchmark's, and
  an endpoint of the app that only requires a login and answers ``ok`` (added here, in this
  process alone): what session, login and the database session cost any page;
- ship and receive (each POST with the page before it, and the ship form the holder's page
  loads when its section opens), moving batches back and forth.

    python bench/request_cost.py                       # seeds the demo park in a temp folder
    python bench/request_cost.py --database park.sqlite  # reuses a seeded file (copied first)
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from in_process import HIDDEN, log_in, seeded_database


def cpu_per_call(fn, calls: int, rounds: int = 5) -> float:
    """Best of ``rounds`` of process CPU time per call, in milliseconds."""
    for _ in range(max(calls // 10, 5)):
        fn()
    times = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            fn()
        times.append((time.process_time() - started) / calls * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a seeded demo park SQLite file to copy")
    parser.add_argument("--calls", type=int, default=400, help="requests per round")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="circularity-cost-") as folder:
        url = seeded_database(Path(folder), args.database)
        os.environ.update(
            DATABASE_URL=url, SECRET_KEY="bench", LOGIN_RATE_LIMIT="100000 per minute"
        )
        from flask import Flask
        from sqlmodel import select
        from werkzeug.test import Client

        from circularity import create_app
        from circularity.commands.demo_park import DEMO_PASSWORD
        from circularity.db import get_session
        from circularity.models import Batch, User
        from circularity.services import custody
        from circularity.services.custody import access

        app = create_app()
        from flask_login import login_required

        app.add_url_rule("/_bench/logged-in", "bench_logged_in", login_required(lambda: "ok"))
        bare = Flask("bare")
        bare.add_url_rule("/", "ok", lambda: "ok")
        bare_client = Client(bare)

        with app.app_context():
            session = get_session()
            steel = session.exec(select(User).where(User.email == "steel@demo.circularity")).one()
            recyc = session.exec(select(User).where(User.email == "recyc@demo.circularity")).one()
            codes = list(session.exec(select(Batch.code).where(access.visible_batches(steel))))

            def one_tonne(client_event_id: str) -> str:
                """A new batch of the steel mill's, as its staff registers one."""
                return custody.register(
                    session,
                    steel,
                    material="17 04 05",
                    quantity_value="1",
                    unit="t",
                    basis="weighed",
                    client_event_id=client_event_id,
                ).primary_code

            # As in the load benchmark, a batch per client: a few dozen events each, not
            # one batch whose history grows with every round.
            loop_codes = [one_tonne(f"cost-loop-{i}") for i in range(50)]
            ids = {"steel": steel.company_id, "recyc": recyc.company_id}
            # A batch with a long story: 100 trips between the two companies, 201 events,
            # for what a page costs as its history grows.
            long_code = one_tonne("cost-long-register")
            for trip in range(100):
                sender, receiver = (steel, recyc) if trip % 2 == 0 else (recyc, steel)
                custody.ship(
                    session,
                    sender,
                    long_code,
                    destination_company_id=receiver.company_id,
                    carrier="Bench",
                    vehicle="SU-1",
                    distance_km="4",
                    client_event_id=f"cost-long-ship-{trip}",
                )
                custody.receive(
                    session,
                    receiver,
                    long_code,
                    quantity_value="1",
                    unit="t",
                    client_event_id=f"cost-long-receive-{trip}",
                )

        clients = {key: Client(app) for key in ids}
        for key, client in clients.items():
            log_in(client, f"{key}@demo.circularity", DEMO_PASSWORD)
        rng = random.Random(2028)
        scanner = clients["steel"]

        def scan():
            response = scanner.get(f"/scan?code={rng.choice(codes)}")
            assert response.status_code == 302, response.status_code

        def logged_in_only():
            response = scanner.get("/_bench/logged-in")
            assert response.status_code == 200, response.status_code

        def page():
            response = scanner.get(f"/b/{rng.choice(codes)}")
            assert response.status_code == 200, response.status_code

        def long_page():
            response = scanner.get(f"/b/{long_code}")
            assert response.status_code == 200, response.status_code

        holders = {code: ("steel", "recyc") for code in loop_codes}
        turn = iter(range(10**9))

        def ship_and_receive():
            loop_code = loop_codes[next(turn) % len(loop_codes)]
            holder_key, other_key = holders[loop_code]
            holder, other = clients[holder_key], clients[other_key]
            holder.get(f"/b/{loop_code}")
            section = holder.get(f"/b/{loop_code}/ship", headers={"HX-Request": "true"})
            form = dict(HIDDEN.findall(section.get_data(as_text=True)))
            form.update(
                destination=ids[other_key], carrier="Bench", vehicle="SU-1", distance_km="4"
            )
            assert holder.post(f"/b/{loop_code}/ship", data=form).status_code == 303
            form = dict(HIDDEN.findall(other.get(f"/b/{loop_code}").get_data(as_text=True)))
            form.update(quantity="1", unit="t")
            assert other.post(f"/b/{loop_code}/receive", data=form).status_code == 303
            holders[loop_code] = (other_key, holder_key)

        figures = {
            "bare Flask endpoint": cpu_per_call(lambda: bare_client.get("/"), args.calls),
            "logged in, nothing else": cpu_per_call(logged_in_only, args.calls),
            "scan redirect": cpu_per_call(scan, args.calls),
            "batch page": cpu_per_call(page, args.calls),
            "batch page, 201 events of history": cpu_per_call(long_page, args.calls // 2),
            "ship + receive, pages and form (5 requests)": cpu_per_call(ship_and_receive, 50),
        }
        print(f"{len(codes)} codes the steel mill's staff may see; CPU time per request:")
        for name, ms in figures.items():
            print(f"  {name:<46}{ms:>8.3f} ms")
        bare_ms = figures["bare Flask endpoint"]
        scan_pair = statistics.mean([figures["scan redirect"], figures["batch page"]])
        print(
            f"  scan scenario, mean of its two requests        {scan_pair:>8.3f} ms"
            f"  ({scan_pair / bare_ms:.1f} x bare)"
        )


if __name__ == "__main__":
    main()
