"""Passwords, sessions, CSRF, rate and size limits, and no state change on GET."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import itsdangerous.timed
import pytest
from sqlmodel import func, select

from circularity import create_app
from circularity.db import get_engine
from circularity.extensions import limiter
from circularity.models import Event, User
from tests.helpers import PASSWORD, csrf_token, login, new_id, post, register, ship


def test_passwords_are_argon2_hashes(db_session):
    user = db_session.exec(select(User).where(User.email == "alice@park.test")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_wrong_password_and_unknown_email_look_the_same(client):
    token = csrf_token(client)
    wrong = client.post(
        "/login", data={"email": "alice@park.test", "password": "nope", "csrf_token": token}
    )
    unknown = client.post(
        "/login", data={"email": "nobody@park.test", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password" in wrong.get_data(as_text=True)


def test_disabled_accounts_cannot_log_in(client, db_session):
    user = db_session.exec(select(User).where(User.email == "bob@park.test")).one()
    user.active = False
    db_session.add(user)
    db_session.commit()
    response = client.post(
        "/login",
        data={"email": "bob@park.test", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 401


def test_every_post_needs_the_csrf_token(as_person, db_session):
    code = register(db_session)
    client = as_person("alice")
    for url in [
        "/batches",
        f"/b/{code}/ship",
        f"/b/{code}/split",
        f"/b/{code}/close",
        "/logout",
        "/admin/companies",
    ]:
        response = client.post(url, data={"client_event_id": new_id()})
        assert response.status_code == 400, url
        assert "csrf_token" in response.get_data(as_text=True)
    assert db_session.exec(select(func.count()).select_from(Event)).one() == 1


def test_htmx_requests_send_the_token_in_a_header(as_person, db_session):
    client = as_person("alice")
    token = csrf_token(client)
    response = client.post(
        "/batches",
        data={
            "material": "170405",
            "quantity": "1",
            "unit": "t",
            "basis": "weighed",
            "client_event_id": new_id(),
        },
        headers={"X-CSRFToken": token, "HX-Request": "true", "HX-Boosted": "true"},
    )
    assert response.status_code == 303


def test_session_cookie_flags(client):
    response = post(client, "/login", {"email": "alice@park.test", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _is_sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_altered_session_cookie_opens_no_session(as_person):
    client = as_person("alice")
    cookie = _session_cookie(client)
    assert client.get("/").status_code == 200
    altered = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]
    client.set_cookie("session", altered, domain="localhost")
    assert _is_sent_to_login(client.get("/"))


def test_a_session_cookie_expires_with_the_session_lifetime(as_person, app, monkeypatch):
    client = as_person("alice")
    assert client.get("/").status_code == 200
    app.permanent_session_lifetime = timedelta(hours=1)
    later = time.time() + 3601
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: later))
    assert _is_sent_to_login(client.get("/"))


def test_a_session_cookie_signed_with_another_key_opens_no_session(as_person, app):
    client = as_person("alice")
    cookie = _session_cookie(client)
    assert client.get("/").status_code == 200
    app.secret_key = app.config["SECRET_KEY"] = "another secret"
    client.set_cookie("session", cookie, domain="localhost")
    assert _is_sent_to_login(client.get("/"))


def test_login_is_rate_limited(app, client):
    limiter.reset()
    token = csrf_token(client)
    statuses = [
        client.post(
            "/login", data={"email": "alice@park.test", "password": "guess", "csrf_token": token}
        ).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    limiter.reset()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[3]

# Another server process: its own app on the same database and Redis, as a gunicorn worker.
OTHER_WORKER = """
import json, sys
from tests.circularity.web.test_security import failed_logins, redis_limited_app
print(json.dumps(failed_logins(redis_limited_app(sys.argv[1], sys.argv[2]), 2)))
"""


def redis_limited_app(database_url: str, redis_url: str):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test secret",
            "LOGIN_RATE_LIMIT": "3 per minute",
            "RATELIMIT_STORAGE_URI": redis_url,
        }
    )


def failed_logins(app, attempts: int) -> list[int]:
    client = app.test_client()
    token = csrf_token(client)
    data = {"email": "alice@park.test", "password": "guess", "csrf_token": token}
    return [client.post("/login", data=data).status_code for _ in range(attempts)]


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL names no Redis server")
def test_server_processes_share_the_login_limit_in_redis(database_url):
    app = redis_limited_app(database_url, REDIS_URL)
    limiter.reset()  # the limiter now counts in Redis: start from zero there
    try:
        assert failed_logins(app, 2) == [401, 401]
        other = subprocess.run(
            [sys.executable, "-c", OTHER_WORKER, database_url, REDIS_URL],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(other.stdout.splitlines()[-1]) == [401, 429]
        assert failed_logins(app, 1) == [429]
    finally:
        limiter.reset()
        get_engine(app).dispose()


def test_large_requests_are_refused(as_person):
    client = as_person("alice")
    response = post(client, "/batches", {"description": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_open_redirects_are_refused(client):
    response = post(
        client,
        "/login",
        {"email": "alice@park.test", "password": PASSWORD, "next": "https://evil.example/steal"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
    login(client, "alice")


def test_get_requests_change_nothing(app, as_person, db_session):
    code = register(db_session)
    ship(db_session, code)
    before = db_session.exec(select(func.count()).select_from(Event)).one()
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and "static" not in r.rule]
    for name in ("alice", "bob", "mia", "ada"):
        client = as_person(name)
        for rule in rules:
            url = rule.rule.replace("<code>", code).replace("<int:user_id>", "1")
            for suffix in ("", "?code=" + code):
                response = client.get(url + suffix)
                assert response.status_code < 500, (url, response.status_code)
    db_session.expire_all()
    assert db_session.exec(select(func.count()).select_from(Event)).one() == before


@pytest.mark.parametrize("url", ["/", "/scan", "/batches/new", "/labels", "/admin/"])
def test_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_roles_guard_pages(as_person):
    assert as_person("alice").get("/admin/").status_code == 403
    assert as_person("mia").get("/admin/").status_code == 403
    assert as_person("ada").get("/admin/").status_code == 200
    assert as_person("mia").get("/admin/chain").status_code == 200
    assert as_person("cora").get("/batches/new").status_code == 403
