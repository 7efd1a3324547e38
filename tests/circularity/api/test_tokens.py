"""API tokens are made and revoked by their person on the account page, stored as a hash, and
open the API only while they and their account are active."""

import hashlib
import re

import pytest
from sqlmodel import select

from circularity.models import ApiToken
from circularity.services import accounts, api_tokens
from circularity.services.errors import Conflict
from tests.helpers import person, post


def secret_on(page: str) -> str:
    return re.search(r'id="new-token" value="([^"]+)"', page).group(1)


def test_a_token_made_on_the_account_page_is_shown_once_and_stored_hashed(as_person, db_session):
    client = as_person("alice")
    assert "/account/tokens/" in client.get("/account").get_data(as_text=True)
    made = post(client, "/account/tokens/", {"name": "weighbridge", "scopes": "read"})
    assert made.status_code == 201
    secret = secret_on(made.get_data(as_text=True))
    assert secret.startswith("circ_") and len(secret) == 48
    stored = db_session.exec(select(ApiToken)).one()
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.scopes == "read" and stored.name == "weighbridge"
    assert stored.prefix == secret[:12]
    listed = client.get("/account/tokens/").get_data(as_text=True)
    assert "weighbridge" in listed and secret not in listed and stored.prefix in listed


def test_a_token_needs_a_name_and_a_choice_of_access(as_person):
    client = as_person("alice")
    nameless = post(client, "/account/tokens/", {"name": " ", "scopes": "record"})
    assert nameless.status_code == 422 and "This field is required." in nameless.get_data(
        as_text=True
    )
    unknown = post(client, "/account/tokens/", {"name": "erp", "scopes": "admin"})
    assert unknown.status_code == 422
    assert "Choose read only, or read and record." in unknown.get_data(as_text=True)


def test_revoking_asks_first_then_the_token_opens_nothing(as_person, client):
    alice = as_person("alice")
    secret = secret_on(
        post(alice, "/account/tokens/", {"name": "erp", "scopes": "read"}).get_data(as_text=True)
    )
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/batches", headers=bearer).status_code == 200
    token_id = re.search(r"/account/tokens/(\d+)/revoke", alice.get("/account/tokens/").text)[1]
    asked = post(alice, f"/account/tokens/{token_id}/revoke")
    assert asked.status_code == 200 and "Revoke this token?" in asked.get_data(as_text=True)
    assert client.get("/api/v1/batches", headers=bearer).status_code == 200
    done = post(alice, f"/account/tokens/{token_id}/revoke", {"confirmed": "1"})
    assert done.status_code == 303
    refused = client.get("/api/v1/batches", headers=bearer)
    assert refused.status_code == 401
    challenge = 'Bearer realm="circularity", error="invalid_token"'
    assert refused.headers["WWW-Authenticate"] == challenge
    assert refused.get_json()["field"] == "Authorization"


def test_nobody_revokes_another_persons_token(as_person, db_session):
    made = api_tokens.create(db_session, person(db_session, "bob"), name="erp", access="read")
    address = f"/account/tokens/{made.token.id}/revoke"
    refused = post(as_person("alice"), address, {"confirmed": "1"})
    assert refused.status_code == 404
    assert api_tokens.authenticate(db_session, made.secret) is not None


def test_a_disabled_accounts_tokens_stop_working(client, db_session):
    bob = person(db_session, "bob")
    made = api_tokens.create(db_session, bob, name="erp", access="record")
    bearer = {"Authorization": f"Bearer {made.secret}"}
    assert client.get("/api/v1/batches", headers=bearer).status_code == 200
    accounts.set_active(db_session, bob.id, False, person(db_session, "ada"))
    assert client.get("/api/v1/batches", headers=bearer).status_code == 401


def test_a_person_holds_at_most_twenty_tokens(db_session):
    alice = person(db_session, "alice")
    for i in range(api_tokens.MAX_TOKENS):
        api_tokens.create(db_session, alice, name=f"t{i}", access="read")
    with pytest.raises(Conflict) as refused:
        api_tokens.create(db_session, alice, name="one more", access="read")
    assert refused.value.field == "name"
    api_tokens.revoke(db_session, alice, api_tokens.tokens(db_session, alice)[0].id)
    api_tokens.create(db_session, alice, name="one more", access="read")


def test_without_a_token_or_with_another_scheme_the_api_asks_for_one(client):
    for headers in ({}, {"Authorization": "Basic YWxpY2U6eA=="}, {"Authorization": "Bearer "}):
        refused = client.get("/api/v1/batches", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="circularity"'
        assert refused.content_type == "application/problem+json"
