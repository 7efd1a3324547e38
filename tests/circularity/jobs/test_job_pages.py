"""The job's page: the market's POST answers with it, its widget polls with htmx while the job
waits or runs and then links to the run; a failure is a sentence in the reader's language.

The market: Steelworks offers 10 t of steel scrap a month and Recycler takes 8 t.
"""

import re

from sqlmodel import func, select

from circularity.models import Job, MatchRun
from circularity.services import jobs
from tests.helpers import demand, new_id, offer, person, post


def count(session, model) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


def market(session) -> None:
    offer(session, who="alice", tonnes="10")
    demand(session, who="bob", tonnes="8")


def use_a_real_queue(app, tmp_path) -> None:
    """Jobs wait in a SQLite queue that no worker reads, until the test runs them."""
    app.config["JOBS_URL"] = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    app.extensions["circularity.jobs"] = None


def test_a_retried_run_form_starts_one_job_and_its_page_links_to_the_run(as_person, db_session):
    market(db_session)
    cora = as_person("cora")
    token = new_id()
    first = post(cora, "/market/runs", {"client_token": token})
    again = post(cora, "/market/runs", {"client_token": token})
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", first.headers["Location"])
    assert (count(db_session, Job), count(db_session, MatchRun)) == (1, 1)
    page = cora.get(first.headers["Location"]).get_data(as_text=True)
    run = db_session.exec(select(MatchRun)).one()
    assert f'<a href="/market/runs/{run.id}" id="job-result">Open the matching run</a>' in page
    assert 'data-status="done"' in page and 'value="100"' in page
    assert "hx-trigger" not in page  # nothing left to wait for


def test_the_widget_polls_while_the_job_waits_and_stops_when_done(
    app, as_person, db_session, tmp_path
):
    market(db_session)
    use_a_real_queue(app, tmp_path)
    cora = as_person("cora")
    address = post(cora, "/market/runs", {"client_token": new_id()}).headers["Location"]
    fragment = cora.get(address, headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section id="job"')
    assert f'hx-get="{address}" hx-trigger="every 1s"' in html
    assert 'hx-target="this" hx-swap="outerHTML"' in html
    assert "waiting for a worker" in html and f'<a href="{address}">Check again</a>' in html
    assert "HX-Request" in fragment.headers["Vary"]
    whole = cora.get(address).get_data(as_text=True)
    assert "<html" in whole and "<h1>Matching run" in whole

    with app.app_context():
        jobs.perform(int(address.rsplit("/", 1)[1]))
    done = cora.get(address, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in done and 'id="job-result"' in done


def test_a_failed_job_says_why_in_the_readers_language(app, as_person, db_session, tmp_path):
    """Cora became management after queueing the run: the worker refused it."""
    market(db_session)
    use_a_real_queue(app, tmp_path)
    cora = as_person("cora")
    address = post(cora, "/market/runs", {"client_token": new_id()}).headers["Location"]
    user = person(db_session, "cora")
    user.role = "management"
    db_session.add(user)
    db_session.commit()
    with app.app_context():
        jobs.perform(int(address.rsplit("/", 1)[1]))
    page = cora.get(address, headers={"Accept-Language": "de"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        '<p class="error" role="alert" id="job-error">Nur die Koordination des Parks kann '
        "Abgleiche ausführen und über Vorschläge entscheiden.</p>"
    ) in html
    assert "fehlgeschlagen" in html and "Traceback" not in html
    assert count(db_session, MatchRun) == 0


def test_only_the_person_who_asked_and_admins_see_a_job(as_person, db_session):
    market(db_session)
    address = post(as_person("cora"), "/market/runs", {"client_token": new_id()}).headers[
        "Location"
    ]
    assert as_person("ada").get(address).status_code == 200
    assert as_person("mia").get(address).status_code == 404
    assert as_person("alice").get(address).status_code == 404
    assert as_person("cora").get("/jobs/999").status_code == 404
    assert as_person("cora").get("/jobs/0").status_code == 404
