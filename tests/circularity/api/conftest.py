"""API clients: a test client that sends a person's token, made as the account page makes it."""

import pytest
from sqlmodel import Session

from circularity.db import get_engine
from circularity.services import api_tokens
from tests.circularity.api.client import ApiClient
from tests.helpers import person


@pytest.fixture
def token(app):
    """token('alice') is a new secret of Alice's, able to record; token('mia', 'read') reads."""

    def make(name: str, access: str = "record") -> str:
        with Session(get_engine(app), expire_on_commit=False) as session:
            who = person(session, name)
            return api_tokens.create(session, who, name="tests", access=access).secret

    return make


@pytest.fixture
def api(app, token):
    """api('alice') is a client that sends a new token of Alice's with every request."""

    def make(name: str, access: str = "record") -> ApiClient:
        return ApiClient(app.test_client(), token(name, access))

    return make


def pytest_terminal_summary(terminalreporter):
    """The schemathesis run's counts, when it ran: the figures the API's docs quote."""
    from tests.circularity.api.tally import TALLY

    if not TALLY:
        return
    terminalreporter.section("schemathesis: responses per kind of token")
    for kind, counts in TALLY.items():
        terminalreporter.write_line(
            f"{kind}: {counts['operations']} operations, {counts['responses']} responses, "
            f"{counts['5xx']} 5xx, {counts['off-schema']} off the schema"
        )
