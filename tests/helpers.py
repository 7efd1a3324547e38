"""Short ways to write tests, so each reads as the story it tells: the people and companies
of the small park, logging in and posting forms, and the services called the way staff use them.

Fixtures live in conftest.py; tests import these helpers from here, never from conftest.
"""

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import strategies as st
from sqlmodel import Session, select

from circularity.models import Batch, Company, User
from circularity.services import custody
from circularity.services.market import listings

PASSWORD = "correct horse battery"
PEOPLE = {
    "alice": ("staff", "Steelworks"),
    "anna": ("staff", "Steelworks"),
    "bob": ("staff", "Recycler"),
    "carl": ("staff", "Cement"),
    "cora": ("coordinator", None),
    "mia": ("management", None),
    "ada": ("admin", None),
}
COMPANIES = {
    "Steelworks": ("steel", 31.612, 121.182),
    "Recycler": ("recycling", 31.575, 121.152),
    "Cement": ("cement", 31.662, 121.241),
}


def person(session, name: str):
    return session.exec(select(User).where(User.email == f"{name}@park.test")).one()


def company_id(session, name: str) -> int:
    return session.exec(select(Company.id).where(Company.name == name)).one()


def csrf_token(client) -> str:
    """The token every page carries (in its forms and in the htmx request headers)."""
    html = client.get("/login", follow_redirects=True).get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def login(client, name: str):
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": f"{name}@park.test", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with the session's CSRF token, as the browser would."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=data, **kwargs)


def new_id() -> str:
    return uuid.uuid4().hex


def register(session, who="alice", quantity="10", unit="t", material="170405", **kw):
    kw.setdefault("basis", "weighed")
    return custody.register(
        session,
        person(session, who),
        material=material,
        quantity_value=quantity,
        unit=unit,
        client_event_id=new_id(),
        **kw,
    ).primary_code


def ship(session, code, who="alice", to="Recycler", **kw):
    return custody.ship(
        session,
        person(session, who),
        code,
        destination_company_id=company_id(session, to),
        carrier="Huayun",
        vehicle="苏E·12345",
        distance_km="12.5",
        client_event_id=new_id(),
        **kw,
    )


def receive(session, code, who="bob", quantity="10", unit="t", **kw):
    return custody.receive(
        session,
        person(session, who),
        code,
        quantity_value=quantity,
        unit=unit,
        client_event_id=new_id(),
        **kw,
    )


def close(session, code, who="bob", operation="R4", outputs=(), **kw):
    return custody.close(
        session,
        person(session, who),
        code,
        operation=operation,
        outputs=list(outputs),
        client_event_id=new_id(),
        **kw,
    )


def offer(session, who="alice", material="170405", tonnes="10", period="month", **kw):
    return listings.create_offer(
        session,
        person(session, who),
        material=material,
        tonnes=tonnes,
        period=period,
        client_token=new_id(),
        **kw,
    )


def demand(session, who="bob", accepts="170405", tonnes="8", period="month", **kw):
    return listings.create_demand(
        session,
        person(session, who),
        accepts=accepts,
        tonnes=tonnes,
        period=period,
        client_token=new_id(),
        **kw,
    )


# A random sequence of custody operations, for the property tests of mass and of the
# monthly totals: each operation is a tuple the strategy draws and apply() carries out.
STAFF = ["alice", "bob", "carl"]
COMPANY = {"alice": "Steelworks", "bob": "Recycler", "carl": "Cement"}

operation = st.one_of(
    st.tuples(st.just("register"), st.sampled_from(STAFF), st.integers(1, 50_000_000)),
    st.tuples(st.just("ship"), st.integers(0, 30), st.sampled_from(STAFF)),
    st.tuples(st.just("receive"), st.integers(0, 30), st.integers(-5000, 2000)),
    st.tuples(st.just("split"), st.integers(0, 30), st.integers(1, 120)),
    st.tuples(st.just("merge"), st.integers(0, 30), st.integers(0, 30)),
    st.tuples(st.just("close"), st.integers(0, 30), st.integers(0, 110)),
    st.tuples(st.just("correct"), st.integers(0, 30), st.integers(1, 50_000_000)),
)


def kg(grams: int) -> str:
    return str(Decimal(grams) / 1000)


def apply(session: Session, op: tuple) -> None:
    kind = op[0]
    batches = session.exec(select(Batch).order_by(Batch.id)).all()
    if kind == "register":
        custody.register(
            session,
            person(session, op[1]),
            material="170405",
            quantity_value=kg(op[2]),
            unit="kg",
            basis="weighed",
            client_event_id=new_id(),
        )
        return
    if not batches:
        return
    batch = batches[op[1] % len(batches)]
    holder = next(p for p in STAFF if company_id(session, COMPANY[p]) == batch.company_id)
    user = person(session, holder)
    if kind == "ship":
        custody.ship(
            session,
            user,
            batch.code,
            destination_company_id=company_id(session, COMPANY[op[2]]),
            carrier="c",
            vehicle="v",
            distance_km="3",
            client_event_id=new_id(),
        )
    elif kind == "receive":
        receiver = next(
            (p for p in STAFF if company_id(session, COMPANY[p]) == batch.destination_company_id),
            holder,
        )
        custody.receive(
            session,
            person(session, receiver),
            batch.code,
            quantity_value=kg(max(batch.mass_g + op[2] * 1000, 1)),
            unit="kg",
            reason="weighbridge",
            client_event_id=new_id(),
        )
    elif kind == "split":
        part = batch.mass_g * op[2] // 100
        custody.split(session, user, batch.code, parts=[(kg(part), "kg")], client_event_id=new_id())
    elif kind == "merge":
        other = batches[op[2] % len(batches)]
        custody.merge(session, user, [batch.code, other.code], client_event_id=new_id())
    elif kind == "close":
        output = batch.mass_g * op[2] // 100
        outputs = [("191202", kg(output), "kg", "weighed")] if output else []
        custody.close(
            session, user, batch.code, operation="R4", outputs=outputs, client_event_id=new_id()
        )
    elif kind == "correct":
        custody.correct(
            session,
            user,
            batch.code,
            quantity_value=kg(op[2]),
            unit="kg",
            reason="reweighed",
            client_event_id=new_id(),
        )


# A small history worked out by hand: the dashboard's and the monthly totals' tests check it.
def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def history(db_session) -> None:
    scrap = register(db_session, "alice", "10", event_time=at(1, 10))
    ship(db_session, scrap, "alice", to="Recycler", event_time=at(1, 11))
    receive(db_session, scrap, "bob", "9.8", reason="weighbridge", event_time=at(1, 12))
    output = close(
        db_session,
        scrap,
        "bob",
        "R4",
        outputs=[("191202", "9", "t", "weighed")],
        event_time=at(1, 13),
    ).batch_codes[1]
    ship(db_session, output, "bob", to="Cement", event_time=at(1, 14))
    receive(db_session, output, "carl", "9", event_time=at(1, 15))
    close(db_session, output, "carl", "R5", event_time=at(1, 16))
    slag = register(db_session, "alice", "2", material="100202", event_time=at(1, 17))
    close(db_session, slag, "alice", "D1", event_time=at(1, 18))
    fuel = register(db_session, "alice", "1", material="170904", event_time=at(1, 19))
    close(db_session, fuel, "alice", "D10", event_time=at(1, 31, 18))
    more = register(db_session, "alice", "4", material="100202", event_time=at(2, 5))
    close(db_session, more, "alice", "D1", event_time=at(2, 6))
