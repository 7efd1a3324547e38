"""History lines are rendered once per event and kept; a kept line is never stale."""

import re
from unittest.mock import patch

from sqlalchemy import text
from sqlmodel import select

from circularity.models import Event
from circularity.services import queries, transform
from circularity.web.history import EXTENSION, LineCache
from tests.circularity.helpers import close, receive, register, ship
from tests.conftest import new_id, person

# Fresh per render: the CSRF token and the forms' client event ids.
PER_RENDER = re.compile(r'(name="(?:csrf_token|client_event_id)" value=|"X-CSRFToken": )"[^"]*"')


def history_of(page: str) -> str:
    return re.search(r'<ol class="history">(.*?)</ol>', page, re.S).group(1)


def a_batch_with_a_long_story(ctx) -> tuple[str, list[str]]:
    code = register(ctx, quantity="10")
    for _ in range(3):
        ship(ctx, code)
        receive(ctx, code)
        ship(ctx, code, who="bob", to="Steelworks")
        receive(ctx, code, who="alice")
    outcome = transform.split(
        ctx,
        person(ctx, "alice"),
        code,
        parts=[("2", "t"), ("1", "t")],
        client_event_id=new_id(),
    )
    return code, outcome.batch_codes[1:]


def test_kept_lines_are_the_lines_rendered_anew(app, ctx, as_person):
    code, parts = a_batch_with_a_long_story(ctx)
    alice = as_person("alice")
    cold = alice.get(f"/b/{code}").get_data(as_text=True)
    cache = app.extensions[EXTENSION]
    assert len(cache) == 14  # register, 3 x (ship, receive, ship, receive), split
    warm = alice.get(f"/b/{code}").get_data(as_text=True)
    assert len(cache) == 14
    assert PER_RENDER.sub("", warm) == PER_RENDER.sub("", cold)
    lines = history_of(warm)
    assert lines.count("<li>") == 14
    assert lines.count("Recycler") == 9  # 3 shipments to it, 3 receipts and 3 shipments by it
    assert all(f"/b/{part}" in lines for part in parts)  # the split's parts, linked
    # A part's page shows the same split event from the part's side: its own line.
    part_page = alice.get(f"/b/{parts[0]}").get_data(as_text=True)
    assert f"/b/{code}" in history_of(part_page)
    assert len(cache) == 15  # the split as the part sees it (an output, not the input)


def test_a_page_with_some_lines_kept_reads_and_renders_only_the_others(app, ctx, as_person):
    code = register(ctx)
    alice = as_person("alice")
    alice.get(f"/b/{code}")
    ship(ctx, code)
    loaded = []
    real = queries.events_by_id

    def counted(session, ids):
        loaded.append(sorted(ids))
        return real(session, ids)

    with patch.object(queries, "events_by_id", counted):
        partly_kept = alice.get(f"/b/{code}").get_data(as_text=True)
        ship_event = ctx.exec(select(Event).where(Event.operation == "ship")).one()
        assert loaded == [[ship_event.id]]  # the registration's line was kept
        app.extensions[EXTENSION] = LineCache()
        fresh = alice.get(f"/b/{code}").get_data(as_text=True)
    assert len(loaded[1]) == 2
    assert PER_RENDER.sub("", partly_kept) == PER_RENDER.sub("", fresh)
    assert history_of(fresh).count("<li>") == 2


def test_a_treated_batch_shows_the_mass_its_closing_took(ctx, as_person):
    code = register(ctx, quantity="10")
    ship(ctx, code)
    receive(ctx, code, quantity="9.5", reason="scale at the gate")
    close(ctx, code, operation="R4", outputs=[("170405", "2", "t", "weighed")])
    page = as_person("bob").get(f"/b/{code}").get_data(as_text=True)
    # 9.5 t received, closed whole: the ledger's change is -9.5 t whatever the outputs.
    assert re.search(r'<dd id="batch-mass">9\.5 t \(weighed\)</dd>', page)


def test_a_renamed_company_shows_its_new_name_at_once(app, ctx, as_person):
    code = register(ctx)
    ship(ctx, code)
    alice = as_person("alice")
    assert "To Recycler" in history_of(alice.get(f"/b/{code}").get_data(as_text=True))
    ctx.execute(text("UPDATE company SET name = 'Jiangsu Recycling' WHERE name = 'Recycler'"))
    ctx.commit()
    lines = history_of(alice.get(f"/b/{code}").get_data(as_text=True))
    assert "To Jiangsu Recycling" in lines and "Recycler" not in lines


def test_the_cache_forgets_the_least_recently_used_line_first():
    cache = LineCache(capacity=2)
    cache.put(("a",), "A")
    cache.put(("b",), "B")
    assert cache.get(("a",)) == "A"  # a is now the most recently used
    cache.put(("c",), "C")
    assert (cache.get(("a",)), cache.get(("b",)), cache.get(("c",))) == ("A", None, "C")
    assert len(cache) == 2
