"""The receiving clerk's path on a phone: scan the label on an arriving batch, weigh it,
receive it. A real Chromium reads the QR code the app printed through a fake camera, so
the label, the scanner script, the vendored decoder and the pages are tested together.
"""

import re
from pathlib import Path

import pytest
from sqlmodel import select

from circularity.db import get_session
from circularity.models import Batch, Event, EventBatch
from circularity.services import custody
from circularity.services.custody import labels, reads
from tests.browser.conftest import write_y4m
from tests.helpers import PASSWORD, company_id, new_id, person

pytestmark = pytest.mark.browser


def shipped_batch(server) -> str:
    """Alice at Steelworks registers 2.5 t of scrap and ships it to Recycler."""
    with server.app.test_request_context():
        session = get_session()
        alice = person(session, "alice")
        code = custody.register(
            session,
            alice,
            material="17 04 05",
            quantity_value="2.5",
            unit="t",
            basis="weighed",
            client_event_id=new_id(),
        ).primary_code
        custody.ship(
            session,
            alice,
            code,
            destination_company_id=company_id(session, "Recycler"),
            carrier="Park Haulage",
            vehicle="SU-4821",
            distance_km="4.2",
            client_event_id=new_id(),
        )
        return code


def label_video(server, code: str, folder: Path) -> Path:
    with server.app.test_request_context():
        session = get_session()
        label = reads.label_data(session, person(session, "alice"), [code])[0]
    assert label.url == f"{server.url}/b/{code}"
    video = folder / "label.y4m"
    write_y4m(labels.png(label), video)
    return video


def log_in(page, name: str) -> None:
    page.fill("input[name=email]", f"{name}@park.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def receive_events(server, code: str) -> list[Event]:
    with server.app.app_context():
        query = (
            select(Event)
            .join(EventBatch, EventBatch.event_id == Event.id)
            .join(Batch, Batch.id == EventBatch.batch_id)
            .where(Batch.code == code, Event.operation == "receive")
        )
        return get_session().exec(query).all()


def test_bob_scans_the_label_and_receives_the_batch(live_server, open_phone, tmp_path):
    code = shipped_batch(live_server)
    phone = open_phone(label_video(live_server, code, tmp_path))
    page = phone.page

    page.goto(f"{live_server.url}/login")
    assert no_horizontal_scroll(page)
    log_in(page, "bob")
    page.wait_for_url(f"{live_server.url}/")

    page.click("a.scan-link")
    page.wait_for_url(re.compile(rf"/b/{code}$"))
    receive = page.locator("#action-receive form")
    receive.locator("input[name=quantity]").fill("2.5")
    receive.locator("select[name=unit]").select_option("t")
    receive.locator("button").click()

    status = page.locator("#batch-status")
    status.filter(has_text="held").wait_for()
    assert page.locator(".flash").inner_text().startswith("Received.")
    assert page.locator(".facts").inner_text().count("Recycler") == 1
    assert no_horizontal_scroll(page)
    assert len(receive_events(live_server, code)) == 1

    # Bob holds it now: the ship form loads when its section opens.
    assert page.locator("#action-ship select").count() == 0
    page.click("#action-ship summary")
    destination = page.locator("#action-ship select[name=destination]")
    destination.wait_for()
    assert "Steelworks" in destination.inner_text()
    assert no_horizontal_scroll(page)
    assert phone.foreign.seen == []


def test_label_url_opened_logged_out_returns_to_the_batch_after_login(live_server, open_phone):
    code = shipped_batch(live_server)
    phone = open_phone()
    page = phone.page

    page.goto(f"{live_server.url}/b/{code}")
    page.wait_for_url(re.compile(r"/login\?next="))
    log_in(page, "bob")
    page.wait_for_url(re.compile(rf"/b/{code}$"))
    page.locator("#batch-status").filter(has_text="in transit").wait_for()
    assert page.locator("#action-receive").count() == 1
    assert phone.foreign.seen == []
