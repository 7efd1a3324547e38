"""Short ways to write tests, so each reads as the story it tells: the people and companies
of the small park, logging in and posting forms, and the services called the way staff use them.

Fixtures live in conftest.py; tests import these helpers from here, never from conftest.
"""

import re
import uuid

from sqlmodel import select

from circularity.models import Company, User
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
