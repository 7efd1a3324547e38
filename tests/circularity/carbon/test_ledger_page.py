"""The ledger page reads, never assesses: what waits, the totals, a page of each list."""

import re

import pytest
from sqlmodel import select

from circularity.models import Batch
from circularity.services.carbon import credits, ledger
from tests.circularity.carbon.test_credits import close_without_route
from tests.helpers import close, person, post, receive, register, ship

CONFIRMED = {"confirmed": "1"}


def code_of(session, origin: str) -> str:
    return session.exec(select(Batch.code).where(Batch.origin == origin)).one()


def small_park(session) -> dict[str, str]:
    """Seven batches, and which of them wait for a credit:

    steel    10 t scrap remelted (R4)                        waits
    slag      2 t of 10 02 10 (unmapped) recycled (R5)       waits, unmapped
    burnt     3 t burnt for energy (R1)                      not circular: not listed
    held      4 t still held                                 not closed: not listed
    sorted    5 t sorted (R4) into 4 t of scrap ...          waits
    output    ... which is remelted (R4)                     recyclate: counted at sorted
    bare      1 t closed with no route at all                waits, no route
    """
    steel = register(session, quantity="10")
    ship(session, steel)
    receive(session, steel)
    close(session, steel, operation="R4")
    slag = register(session, material="100210", quantity="2")
    close(session, slag, who="alice", operation="R5")
    burnt = register(session, quantity="3")
    close(session, burnt, who="alice", operation="R1")
    held = register(session, quantity="4")
    sorted_ = register(session, quantity="5")
    close(session, sorted_, who="alice", operation="R4", outputs=[("170405", "4", "t", "weighed")])
    output = code_of(session, "treatment")
    close(session, output, who="alice", operation="R4")
    bare = register(session, quantity="1")
    close_without_route(session, bare)
    return dict(
        steel=steel, slag=slag, burnt=burnt, held=held, sorted=sorted_, output=output, bare=bare
    )


def test_the_batches_waiting_are_counted_and_listed_without_assessing(db_session, monkeypatch):
    park = small_park(db_session)
    monkeypatch.setattr(credits, "load_graph", lambda *a: pytest.fail("assessed on a read"))
    listed = {w.code: w.reasons for w in ledger.waiting(db_session, 1)}
    assert ledger.waiting_count(db_session) == 4
    assert listed == {
        park["steel"]: [],
        park["slag"]: ["unmapped"],
        park["sorted"]: [],
        park["bare"]: ["no_route"],
    }


def test_booking_empties_the_list_but_for_what_cannot_be_credited(db_session):
    park = small_park(db_session)
    booking = credits.book(db_session, person(db_session, "mia"))
    # steel and sorted are booked; slag (unmapped), bare (no route) and the output
    # (recyclate, assessed by booking alone) are refused, one batch each.
    assert booking.run.entries == 2
    assert booking.refused == {"counted_at_ancestor": 1, "no_route": 1, "unmapped": 1}
    assert "not creditable: counted_at_ancestor 1, no_route 1, unmapped 1" in booking.run.note
    assert {w.code for w in ledger.waiting(db_session, 1)} == {park["slag"], park["bare"]}
    assert ledger.waiting_count(db_session) == 2


def test_totals_are_the_sum_of_the_current_entries(db_session):
    small_park(db_session)
    credits.book_credits(db_session, person(db_session, "mia"))
    current = credits.current_credits(db_session)
    found = ledger.totals(db_session)
    assert (found.entries, found.provisional) == (2, 0)
    # 10 t of steel, and the 4 t of the sorted 5 t that were remelted
    assert found.mass_g == 14_000_000 == sum(c.mass_g for c in current)
    assert found.credit_kg == pytest.approx(sum(c.credit_kg for c in current))
    assert found.set_counts == {"defra-2025 2025": 2}


def test_page_two_shows_the_rows_after_page_one(db_session, monkeypatch):
    # Five batches of 1 to 5 t remelted; two rows a page: newest closings first.
    codes = []
    for tonnes in range(1, 6):
        codes.append(register(db_session, who="alice", quantity=str(tonnes)))
        close(db_session, codes[-1], who="alice", operation="R4")
    monkeypatch.setattr(ledger, "PAGE_SIZE", 2)
    assert [w.code for w in ledger.waiting(db_session, 2)] == codes[2:4]
    assert [w.code for w in ledger.waiting(db_session, 3)] == codes[4:]
    credits.book_credits(db_session)
    masses = [[e.mass_g // 1_000_000 for e in ledger.entries(db_session, p)] for p in (1, 2, 3)]
    assert masses == [[5, 4], [3, 2], [1]]
    assert ledger.entries(db_session, 4) == []


def test_the_ledger_page_pages_and_refuses_bad_page_numbers(as_person, db_session, monkeypatch):
    for tonnes in range(1, 4):
        close(db_session, register(db_session, who="alice", quantity=str(tonnes)), who="alice")
    client = as_person("mia")
    assert post(client, "/carbon/credits/book", CONFIRMED).status_code == 303
    monkeypatch.setattr(ledger, "PAGE_SIZE", 2)
    monkeypatch.setattr(credits, "load_graph", lambda *a: pytest.fail("assessed on a GET"))
    first = client.get("/carbon/credits").get_data(as_text=True)
    assert "Page 1 of 2" in first and "3 current credits" in first
    assert "/carbon/credits?page=2" in first and "waiting_page=1" in first
    second = client.get("/carbon/credits?page=2&runs_page=1").get_data(as_text=True)
    assert "Page 2 of 2" in second and len(re.findall(r'href="/carbon/credits/\d+"', second)) == 1
    for query, label in (
        ("page=0", "Page"),
        ("waiting_page=x", "Page of the batches waiting"),
        ("runs_page=-1", "Page of the runs"),
        ("page=99999999999", "Page"),
    ):
        response = client.get(f"/carbon/credits?{query}")
        assert response.status_code == 400, query
        assert label in response.get_data(as_text=True), query


def test_booking_says_why_batches_cannot_be_credited(as_person, db_session):
    close_without_route(db_session, register(db_session))
    client = as_person("mia")
    response = post(client, "/carbon/credits/book", CONFIRMED, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "0 credits booked." in html
    assert "Batches that cannot be credited, by reason: closed without a recovery" in html
