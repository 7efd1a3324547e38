"""The web edge: security headers on every response, no inline scripts or styles that the
Content-Security-Policy would block, nothing personal cached, chunked bodies over the size
limit refused with 413, and the client address taken from a configured proxy only."""

import http.client
import io
import re
import threading

import pytest
from werkzeug.serving import make_server

from circularity import create_app
from circularity.db import get_engine
from circularity.extensions import limiter
from circularity.web.edge import CONTENT_SECURITY_POLICY
from tests.helpers import csrf_token, new_id, post, register

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def test_the_policy_allows_this_site_alone():
    assert "; ".join(f"{k} {v}" for k, v in CONTENT_SECURITY_POLICY.items()) == POLICY
    assert "unsafe-inline" not in POLICY and "unsafe-eval" not in POLICY


def _assert_security_headers(response, hsts: bool = True) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    if hsts:
        assert headers["Strict-Transport-Security"] == "max-age=31556926"
    else:
        assert "Strict-Transport-Security" not in headers


def test_pages_carry_the_security_headers(as_person, client, db_session):
    code = register(db_session)
    alice = as_person("alice")
    for response in (
        client.get("/login"),
        client.get("/"),  # a redirect to the login
        client.get("/no/such/page"),
        alice.get("/"),
        alice.get(f"/b/{code}"),
        alice.get(f"/b/{code}/label.png"),
        alice.get("/static/css/app.css"),
    ):
        _assert_security_headers(response)
        response.close()


def test_the_scan_page_may_also_compile_webassembly(as_person):
    policy = as_person("alice").get("/scan").headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy
    assert policy.replace(" 'wasm-unsafe-eval'", "") == POLICY


def test_no_hsts_when_the_site_is_served_over_http(database_url):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "x",
            "BASE_URL": "http://127.0.0.1:5000",
        }
    )
    try:
        _assert_security_headers(app.test_client().get("/login"), hsts=False)
    finally:
        get_engine(app).dispose()


def test_the_permanent_label_url_still_leads_to_the_batch(as_person, client, db_session):
    code = register(db_session)
    anonymous = client.get(f"/b/{code}")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == f"/login?next=%2Fb%2F{code}"
    assert as_person("alice").get(f"/b/{code}").status_code == 200


def test_static_files_are_served_and_cached_as_before(client):
    for path in ("/static/css/app.css", "/static/vendor/htmx-2.0.11.min.js"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert "no-store" not in response.headers.get("Cache-Control", ""), path


def test_pages_and_downloads_are_not_stored(as_person, client, db_session):
    code = register(db_session)
    alice, mia = as_person("alice"), as_person("mia")
    for response in (
        client.get("/login"),
        alice.get("/"),
        alice.get(f"/b/{code}"),
        mia.get("/dashboard/indicators.csv"),
        mia.get("/dashboard/report.pdf"),
    ):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


def test_the_list_of_waste_keeps_its_own_caching(as_person):
    response = as_person("alice").get("/materials/register")
    assert response.headers["Cache-Control"] == "private, max-age=86400"


def test_back_after_logout_shows_no_batch(as_person, db_session):
    """The browser may not keep the page (no-store), htmx keeps no copy of it
    (historyCacheSize 0, and a miss reloads from the server) and the server sends the
    logged-out person to the login."""
    code = register(db_session)
    alice = as_person("alice")
    page = alice.get(f"/b/{code}")
    assert page.headers["Cache-Control"] == "no-store"
    assert '"historyCacheSize":0,"refreshOnHistoryMiss":true' in page.get_data(as_text=True)
    post(alice, "/logout")
    again = alice.get(
        f"/b/{code}", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert again.status_code == 302 and "/login" in again.headers["Location"]


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
    "javascript: URL": re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
    "htmx eval": re.compile(r"\shx-on[:-]|\shx-vals\s*=\s*[\"']\s*(js|javascript):", re.I),
}


def _inline_code(html: str) -> list[str]:
    return [name for name, pattern in INLINE.items() if pattern.search(html)]


def test_the_patterns_find_what_the_policy_blocks():
    assert _inline_code('<p style="color:red">') == ["style attribute"]
    assert _inline_code("<script>alert(1)</script>") == ["inline script"]
    assert _inline_code('<button onclick="x()">') == ["event handler"]
    assert _inline_code('<script src="/static/x.js" defer></script>') == []


def test_no_template_holds_code_the_policy_would_block():
    from pathlib import Path

    from circularity import _asset_folder

    templates = sorted(Path(_asset_folder("templates")).rglob("*.html"))
    assert len(templates) > 40
    found = {str(t): _inline_code(t.read_text(encoding="utf-8")) for t in templates}
    assert {name: kinds for name, kinds in found.items() if kinds} == {}


def test_no_page_holds_code_the_policy_would_block(app, as_person, db_session):
    """Every page each role can open, charts (inline SVG) included."""
    code = register(db_session)
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and "static" not in r.rule and not r.arguments - {"code"}
    ]
    pages = 0
    for name in ("alice", "mia", "ada"):
        client = as_person(name)
        for rule in rules:
            response = client.get(rule.rule.replace("<code>", code))
            if response.mimetype == "text/html":
                pages += 1
                assert _inline_code(response.get_data(as_text=True)) == [], rule.rule
    assert pages > 30


def _chunked_post(client, path: str, body: bytes):
    """A body sent without Content-Length, as a server that passes chunked bodies on
    (Werkzeug's, gunicorn) hands it to the app."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_over_the_limit_is_refused_with_413(as_person, app):
    client = as_person("alice")
    body = b"description=" + b"x" * app.config["MAX_CONTENT_LENGTH"]
    response = _chunked_post(client, "/batches", body)
    assert response.status_code == 413
    assert "What you sent is too large." in response.get_data(as_text=True)


def test_a_chunked_body_within_the_limit_is_read_whole(as_person, app):
    client = as_person("alice")
    form = {
        "material": "170405",
        "quantity": "1",
        "unit": "t",
        "basis": "weighed",
        "client_event_id": new_id(),
        "csrf_token": csrf_token(client),
    }
    body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    response = _chunked_post(client, "/batches", body)
    assert response.status_code == 303


def test_a_chunked_body_over_the_limit_gets_413_from_a_real_server(app):
    """Werkzeug's own server decodes the chunks; nothing is simulated."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        chunk = b"x" * 65536
        chunks = (b"description=", *[chunk] * 17)  # 17 × 64 KiB > 1 MiB
        connection.request(
            "POST",
            "/login",
            body=iter(chunks),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 413
        connection.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _proxied_app(database_url: str, proxies: int, storage: str = "memory://"):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test secret",
            "LOGIN_RATE_LIMIT": "2 per minute",
            "RATELIMIT_STORAGE_URI": storage,
            "TRUSTED_PROXIES": proxies,
        }
    )


def _attempts(app, forwarded_for: str, n: int) -> list[int]:
    client = app.test_client()
    token = csrf_token(client)
    data = {"email": "alice@park.test", "password": "guess", "csrf_token": token}
    headers = {"X-Forwarded-For": forwarded_for}
    return [client.post("/login", data=data, headers=headers).status_code for _ in range(n)]


@pytest.fixture
def proxied(database_url):
    apps = []

    def make(proxies: int, storage: str = "memory://"):
        app = _proxied_app(database_url, proxies, storage)
        with app.app_context():
            limiter.reset()
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            limiter.reset()
        get_engine(app).dispose()


def test_behind_a_trusted_proxy_the_limit_counts_per_client(proxied):
    app = proxied(1)
    assert _attempts(app, "203.0.113.5", 3) == [401, 401, 429]
    assert _attempts(app, "203.0.113.6", 1) == [401]
    # A client's own X-Forwarded-For comes first; the proxy appends the real address.
    assert _attempts(app, "198.51.100.1, 203.0.113.5", 1) == [429]


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(proxied):
    app = proxied(0)
    assert _attempts(app, "203.0.113.5", 2) == [401, 401]
    assert _attempts(app, "203.0.113.6", 1) == [429]  # same socket address


def test_trusted_proxies_must_be_a_count(database_url):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        _proxied_app(database_url, "two")


REDIS_URL = __import__("os").environ.get("TEST_REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL names no Redis server")
def test_two_workers_behind_a_proxy_share_each_clients_count_in_redis(proxied):
    first, second = proxied(1, REDIS_URL), proxied(1, REDIS_URL)
    assert _attempts(first, "203.0.113.5", 1) == [401]
    assert _attempts(second, "203.0.113.5", 2) == [401, 429]
    assert _attempts(first, "203.0.113.6", 1) == [401]
