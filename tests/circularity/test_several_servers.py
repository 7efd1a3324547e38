"""Two web servers on one database and one Redis behave as one (README, "Deploying").

Two real gunicorn servers, each its own process on its own port, serve the same database (the
test's SQLite file, or a PostgreSQL database in the PostgreSQL run) with the same SECRET_KEY
and the login limit in the same Redis, as a park deploys them behind one address. A person's
browser is a requests session whose cookies go to both, as they would through a load balancer:
a session opened on one server is valid on the other, a CSRF token one server wrote is accepted
by the other, logging out on one ends the person's sessions on both, and failed logins count
towards one limit wherever they land.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from circularity.db import get_engine
from circularity.extensions import limiter
from tests.circularity.web.test_security import redis_limited_app
from tests.helpers import PASSWORD

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
LIMIT = 3  # failed logins a minute, from one address, across both servers

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL names no Redis server")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(database_url: str) -> Iterator[str]:
    """A gunicorn server of the app as the README deploys it; yields its address."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "one secret for every server of the park",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
    }
    command = [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "circularity.wsgi:app"]
    address = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            wait_until_up(address, process, log)
            yield address
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_until_up(address: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"gunicorn exited: {log.read().decode()[-2000:]}")
        try:
            if requests.get(f"{address}/login", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still importing
            pass
        if time.monotonic() > deadline:
            pytest.fail("gunicorn did not answer within 60 s")
        time.sleep(0.2)


@pytest.fixture
def servers(database_url):
    # The limiter counts in Redis: start from zero there, and leave nothing for other tests.
    app = redis_limited_app(database_url, REDIS_URL)
    limiter.reset()
    with ExitStack() as stack:
        yield stack.enter_context(server(database_url)), stack.enter_context(server(database_url))
    limiter.reset()
    get_engine(app).dispose()


@pytest.fixture
def browser():
    """browser() is a new person's browser: a cookie jar sent to both servers."""
    made: list[requests.Session] = []
    yield lambda: made.append(requests.Session()) or made[-1]
    for session in made:
        session.close()


def csrf(browser: requests.Session, page: str) -> str:
    html = browser.get(page).text
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def log_in(browser: requests.Session, server: str, password: str = PASSWORD) -> int:
    data = {
        "email": "alice@park.test",
        "password": password,
        "csrf_token": csrf(browser, f"{server}/login"),
    }
    return browser.post(f"{server}/login", data=data, allow_redirects=False).status_code


def signed_in(browser: requests.Session, server: str) -> bool:
    """Whether the start page opens (200), rather than sending the browser to log in (302)."""
    response = browser.get(f"{server}/", allow_redirects=False)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def test_a_session_opened_on_one_server_is_valid_on_the_other(servers, browser):
    one, other = servers
    phone = browser()
    assert not signed_in(phone, other)
    assert log_in(phone, one) == 303
    assert signed_in(phone, one) and signed_in(phone, other)


def test_logging_out_on_one_server_ends_the_sessions_on_both(servers, browser):
    one, other = servers
    phone, desk = browser(), browser()
    assert log_in(phone, one) == 303 and log_in(desk, other) == 303
    # The token comes from a page the other server wrote: one secret signs them all.
    token = csrf(phone, f"{other}/")
    response = phone.post(f"{one}/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303
    for server in servers:
        assert not signed_in(phone, server)
        assert not signed_in(desk, server)  # every device, whichever server it used


def test_failed_logins_count_towards_one_limit_across_servers(servers, browser):
    one, other = servers
    stranger = browser()
    tries = [log_in(stranger, server, "a guess") for server in (one, other, one)]
    assert tries == [401] * LIMIT
    assert log_in(stranger, other, "a guess") == 429
    assert log_in(stranger, one, PASSWORD) == 429  # even the right password, until it expires
