"""The session cookie is verified once per process and cookie, and still only what was
signed, and not older than the session lifetime, opens a session (circularity.sessions)."""

from datetime import timedelta

from circularity import sessions
from circularity.sessions import KeptCookieSessionInterface


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_logged_in_cookie_is_verified_once_and_keeps_working(as_person, app, monkeypatch):
    client = as_person("alice")
    interface = app.session_interface
    assert isinstance(interface, KeptCookieSessionInterface)
    serializer = interface.get_signing_serializer(app)
    verified = []
    real_loads = serializer.loads
    monkeypatch.setattr(
        serializer, "loads", lambda *a, **kw: verified.append(a[0]) or real_loads(*a, **kw)
    )
    cookie = _cookie(client)
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert verified == [cookie]
    data, _signed = interface._verified[(("test secret",), cookie)]
    assert data["_user_id"] == str(_alice_id(client))


def _alice_id(client) -> int:
    from sqlmodel import Session, select

    from circularity.db import get_engine
    from circularity.models import User

    with Session(get_engine(client.application)) as session:
        return session.exec(select(User.id).where(User.email == "alice@park.test")).one()


def test_each_request_gets_its_own_copy_of_the_data(app):
    interface = app.session_interface
    signed = interface.get_signing_serializer(app).dumps(
        {"_user_id": "1", "_flashes": [("message", "Shipped.")]}
    )
    with app.test_request_context(headers={"Cookie": f"session={signed}"}):
        from flask import request

        first = interface.open_session(app, request)
        first["_flashes"].append(("message", "added by one request"))
        first["_user_id"] = "somebody else"
        second = interface.open_session(app, request)
    assert second["_user_id"] == "1"
    assert second["_flashes"] == [("message", "Shipped.")]


def test_an_altered_cookie_opens_no_session(as_person, app):
    client = as_person("alice")
    cookie = _cookie(client)
    assert client.get("/").status_code == 200  # the genuine cookie is now kept
    altered = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]
    client.set_cookie("session", altered, domain="localhost")
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_kept_cookie_expires_with_the_session_lifetime(as_person, app, monkeypatch):
    client = as_person("alice")
    assert client.get("/").status_code == 200
    app.permanent_session_lifetime = timedelta(hours=1)
    real_time = sessions.time.time
    monkeypatch.setattr(sessions.time, "time", lambda: real_time() + 3601)
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_cookie_signed_with_another_key_is_not_taken_from_the_kept_ones(as_person, app):
    client = as_person("alice")
    cookie = _cookie(client)
    assert client.get("/").status_code == 200
    app.secret_key = "another secret"
    app.config["SECRET_KEY"] = "another secret"
    client.set_cookie("session", cookie, domain="localhost")
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_kept_cookies_are_bounded(as_person, app):
    interface = app.session_interface
    interface.size = 3
    for _ in range(5):
        client = as_person("alice")
        assert client.get("/").status_code == 200
    assert len(interface._verified) <= 3
