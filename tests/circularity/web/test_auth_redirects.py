"""After login a person returns to the page they asked for, and only ever to a page of
this site: every way of writing another site's address (extra slashes, backslashes,
schemes, percent-encoding, whitespace and control characters) goes to the start page."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circularity import create_app
from circularity.db import get_engine
from circularity.web.auth import safe_next
from tests.helpers import PASSWORD, post

OFF_SITE = [
    "////evil.example",
    "///evil.example",
    "//evil.example",
    "//evil",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https://evil.example/steal",
    "http://evil.example",
    "HTTPS://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "//evil.example@park.test",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/ /evil.example",
    "/\u3000/evil.example",  # ideographic space
    "/\u200b/evil.example",  # zero-width space
    "//[evil",
    "",
]

ON_SITE = [
    "/",
    "/b/0123456789ABCDEFGHJKMNPQRS",
    "/scan/go?code=0123456789ABCDEFGHJKMNPQRS",
    "/analysis/?start=2026-01-01&end=2026-06-30",
    "/?q=steel%20scrap",
    "/market/",
]


def _login(client, next_url: str):
    return post(
        client, "/login", {"email": "alice@park.test", "password": PASSWORD, "next": next_url}
    )


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_anyone_off_site(client, target):
    response = _login(client, target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ON_SITE)
def test_login_returns_to_a_page_of_this_site(client, target):
    response = _login(client, target)
    assert response.status_code == 303
    assert response.headers["Location"] == target


def test_a_logged_in_person_is_not_sent_off_site_either(as_person):
    client = as_person("alice")
    for target in ("////evil.example", "/\\evil.example", "https://evil.example"):
        response = client.get("/login", query_string={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/", target


def test_the_login_page_carries_the_page_asked_for(client):
    html = client.get("/login?next=%2Fb%2FABC").get_data(as_text=True)
    assert 'name="next" value="/b/ABC"' in html


@pytest.fixture(scope="module")
def bare_app():
    """An app without a database: safe_next needs only the site's addresses."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    yield app
    get_engine(app).dispose()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("/\\:%.@ \t\nexvil0125cCfF?#&="), max_size=20))
def test_any_target_is_home_or_a_path_on_this_site(bare_app, target):
    """Whatever is typed, the answer is the start page or a path that no browser could
    read as another host: one leading slash, no backslash, no control or space."""
    with bare_app.test_request_context():
        result = safe_next(target)
    if result != "/":
        assert result == target
        assert result.startswith("/") and not result.startswith("//")
        assert "\\" not in result and not any(c.isspace() for c in result)
