"""Sessions end on the server: a cookie copied before logout, revocation or a new password
opens nothing; the CSRF token is renewed at login; people change their own password."""

import re

from sqlmodel import select

from circularity.models import User
from tests.helpers import PASSWORD, csrf_token, login, person, post


def _stolen_copy(app, client):
    """Another client holding a copy of this client's session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    return thief


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_copied_before_logout_stops_working(app, as_person):
    client = as_person("alice")
    thief = _stolen_copy(app, client)
    assert _logged_in(thief)
    response = post(client, "/logout")
    assert response.status_code == 303
    assert _sent_to_login(thief.get("/"))
    assert _sent_to_login(client.get("/"))


def test_logout_asks_the_browser_to_forget_pages_and_storage(as_person):
    response = post(as_person("alice"), "/logout")
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_logout_ends_the_sessions_on_every_device(app, as_person):
    phone, desk = as_person("alice"), as_person("alice")
    post(phone, "/logout")
    assert not _logged_in(desk)


def test_logging_out_everywhere_else_keeps_this_session(app, as_person):
    here, phone = as_person("alice"), as_person("alice")
    thief = _stolen_copy(app, here)
    response = post(here, "/account/sessions")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert _logged_in(here)
    assert not _logged_in(phone)
    assert not _logged_in(thief)  # the cookie this session had before is gone too


def test_other_people_keep_their_sessions(as_person):
    alice, anna = as_person("alice"), as_person("anna")
    post(alice, "/logout")
    assert _logged_in(anna)


def test_an_admin_ends_another_persons_sessions(as_person, db_session):
    alice = as_person("alice")
    admin = as_person("ada")
    alice_id = person(db_session, "alice").id
    response = post(admin, f"/admin/users/{alice_id}/sessions")
    assert response.status_code == 303
    assert not _logged_in(alice)
    assert _logged_in(admin)
    assert _logged_in(login(alice, "alice"))  # the account itself still works


def test_only_admins_end_other_peoples_sessions(as_person, db_session):
    alice, bob = as_person("alice"), as_person("bob")
    response = post(bob, f"/admin/users/{person(db_session, 'alice').id}/sessions")
    assert response.status_code == 403
    assert _logged_in(alice)


def test_disabling_an_account_ends_its_sessions_at_once(as_person, db_session):
    bob = as_person("bob")
    admin = as_person("ada")
    response = post(
        admin,
        f"/admin/users/{person(db_session, 'bob').id}/active",
        {"active": "0", "confirmed": "1"},
    )
    assert response.status_code == 303
    assert not _logged_in(bob)


def test_a_disabled_account_opens_no_session_even_with_its_token(as_person, db_session):
    """A disabled account whose token somehow stayed (a database edited by hand)."""
    bob = as_person("bob")
    user = person(db_session, "bob")
    user.active = False
    db_session.add(user)
    db_session.commit()
    assert not _logged_in(bob)


def test_a_cookie_naming_the_id_alone_opens_nothing(app, as_person, db_session):
    """Cookies from before session tokens named just the id."""
    client = as_person("alice")
    with client.session_transaction() as session:
        session["_user_id"] = str(person(db_session, "alice").id)
    assert not _logged_in(client)


def test_every_account_has_its_own_session_token(db_session):
    tokens = db_session.exec(select(User.session_token)).all()
    assert len(tokens) == len(set(tokens)) == 7
    assert all(len(token) >= 43 for token in tokens)  # 32 random bytes, base64


def _token_in_page(html: str) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def test_the_csrf_token_is_renewed_at_login(client):
    before = csrf_token(client)
    login(client, "alice")
    after = _token_in_page(client.get("/").get_data(as_text=True))
    assert after != before
    refused = client.post("/batches", data={"csrf_token": before})
    assert refused.status_code == 400
    assert "The form expired" in refused.get_data(as_text=True)


def _change(client, current: str, new: str, repeated: str | None = None):
    return post(
        client,
        "/account/password",
        {
            "current_password": current,
            "new_password": new,
            "repeat_password": new if repeated is None else repeated,
        },
    )


def _can_log_in(app, password: str) -> bool:
    client = app.test_client()
    response = post(client, "/login", {"email": "alice@park.test", "password": password})
    return response.status_code == 303


NEW_PASSWORD = "a longer new passphrase"


def test_people_change_their_password_and_other_sessions_end(app, as_person):
    here, phone = as_person("alice"), as_person("alice")
    response = _change(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert _logged_in(here)
    assert not _logged_in(phone)
    assert _can_log_in(app, NEW_PASSWORD)
    assert not _can_log_in(app, PASSWORD)


def test_changing_the_password_needs_the_current_one(app, as_person):
    here, phone = as_person("alice"), as_person("alice")
    response = _change(here, "not my password", NEW_PASSWORD)
    assert response.status_code == 422
    assert "The current password is wrong." in response.get_data(as_text=True)
    assert _logged_in(phone)
    assert _can_log_in(app, PASSWORD)


def test_a_new_password_is_long_enough_and_typed_twice_alike(app, as_person):
    client = as_person("alice")
    short = _change(client, PASSWORD, "short")
    assert short.status_code == 422
    assert "at least 10 characters" in short.get_data(as_text=True)
    differ = _change(client, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 422
    assert "The two new passwords differ." in differ.get_data(as_text=True)
    assert _can_log_in(app, PASSWORD)


def test_the_account_page_offers_password_and_sessions(as_person):
    html = as_person("alice").get("/account").get_data(as_text=True)
    assert 'action="/account/password"' in html
    assert 'action="/account/sessions"' in html
    assert "alice@park.test" in html


def test_the_account_page_needs_a_login(client):
    assert _sent_to_login(client.get("/account"))
