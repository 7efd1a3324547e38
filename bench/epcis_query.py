"""What an EPCIS REST query costs on the demo park, against mapping the whole log.

A partner's system polls ``GET /epcis/events`` for what is new. The query reads the log in
chain order a chunk at a time from where its page starts, with the row filters in the
database, so a page costs what it reads; before, every request mapped the whole export and
filtered it. This prints, on the demo park seeded with the app's own command, the median of
``--runs`` timings (Flask test client, no HTTP) of:

- the whole export mapped once (``epcis.export``): what every query cost before;
- the first page (30 events);
- a page of what is new: ``GE_recordTime`` at the time of the last 1 % of events;
- every event, page by page (1,000 a page), in all.

    .venv/bin/python bench/epcis_query.py
    .venv/bin/python bench/epcis_query.py --runs 5 --database instance/kept.sqlite
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import func, select  # noqa: E402

from bench.in_process import seeded_database  # noqa: E402
from circularity import create_app  # noqa: E402
from circularity.db import get_engine, get_session  # noqa: E402
from circularity.models import Event, User  # noqa: E402
from circularity.services import api_tokens  # noqa: E402
from circularity.services.custody import epcis  # noqa: E402


def timed(work, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", help="a kept SQLite file of the demo park to copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = seeded_database(Path(folder), args.database)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            session = get_session()
            events = session.exec(select(func.count()).select_from(Event)).one()
            who = session.exec(select(User).where(User.role == "management")).first()
            secret = api_tokens.create(session, who, name="bench", access="read").secret
            recent = session.exec(
                select(Event.record_time).order_by(Event.seq.desc()).offset(events // 100)
            ).first()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}

        def get(path: str, **query):
            response = client.get(path, headers=headers, query_string=query or None)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            return response

        def export():
            with app.test_request_context():
                return len(epcis.export(get_session())["epcisBody"]["eventList"])

        def every_page() -> int:
            found, response = 0, get("/epcis/events", perPage="1000")
            while True:
                body = response.get_json(force=True)
                found += len(body["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
                link = response.headers.get("Link")
                if not link:
                    return found
                response = get(link[1 : link.index(">")].removeprefix("http://localhost"))

        def count(response) -> int:
            body = response.get_json(force=True)
            return len(body["epcisBody"]["queryResults"]["resultsBody"]["eventList"])

        since = recent.isoformat().replace("+00:00", "Z")
        print(f"demo park: {events:,} event rows; median of {args.runs} runs")
        rows = [
            ("whole export mapped (each query before)", export),
            ("first page, 30 events", lambda: count(get("/epcis/events"))),
            ("what is new: the last 1 %", lambda: count(get("/epcis/events", GE_recordTime=since))),
            ("every event, 1,000 a page", every_page),
        ]
        for name, work in rows:
            ms, found = timed(work, args.runs)
            print(f"  {name:<42} {ms:9.1f} ms  {found:>7,} events")
        get_engine(app).dispose()


if __name__ == "__main__":
    main()
