"""Schemathesis against every operation of the OpenAPI document, as each kind of token the
small park has: read-only and read+record, for staff, the coordinator, management and an
admin. Every answer must be a 2xx or 4xx the document declares for the operation, with the
declared media type and a body its schema accepts; no answer may be a 5xx.

Before the run the park holds a batch in transit, one closed, an offer, a demand, a matching
run with its proposal accepted and so an exchange, so that ids schemathesis tries first (1, 2)
name real rows and the answers carrying data are checked too. The counts per kind of token
are printed at the end of the run (conftest.py).

Each operation is fuzzed through its hypothesis strategy (``as_strategy``), with positive and
negative data, rather than through ``schemathesis.pytest.from_fixture``: that loader sets a
node attribute pytest 9 no longer has, and the park's database is a fixture.
"""

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from circularity.db import get_engine
from circularity.services import api_tokens
from circularity.services.idempotency import PATTERN
from circularity.services.market import listings, matching
from tests.circularity.api.tally import TALLY
from tests.helpers import close, new_id, person, receive, register, ship

#: Each kind of token: whose it is and what it may do.
KINDS = {
    "staff, read": ("anna", "read"),
    "staff, read+record": ("alice", "record"),
    "staff of the receiver, read+record": ("bob", "record"),
    "coordinator, read+record": ("cora", "record"),
    "management, read": ("mia", "read"),
    "management, read+record": ("mia", "record"),
    "admin, read+record": ("ada", "record"),
}
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
#: Generated cases per operation and kind of token, beyond schemathesis' coverage cases:
#: enough to reach every field's bad values in a few tens of seconds for the whole run.
MAX_EXAMPLES = 6


def _small_market(session: Session) -> None:
    moving = register(session, "alice", quantity="10")
    ship(session, moving)
    done = register(session, "bob", quantity="3", material="120101")
    close(session, done, "bob", operation="R4")
    register(session, "alice", quantity="4")
    alice, bob = person(session, "alice"), person(session, "bob")
    listings.create_offer(
        session, alice, material="170405", tonnes="10", period="month", client_token=new_id()
    )
    listings.create_demand(
        session, bob, accepts="170405", tonnes="8", period="month", client_token=new_id()
    )
    cora = person(session, "cora")
    run = matching.run(session, cora, new_id())
    view = matching.get_run(session, run.id)
    matching.decide(session, cora, view.proposals[0].proposal.id, "accepted")
    receive(session, moving, "bob", quantity="10")


def _operations(app) -> list:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation, mode: GenerationMode, secret: str, tally: dict) -> None:
    @given(operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def answers_within_its_schema(case):
        # Schemathesis sends the WSGI app requests' default Accept-Encoding (zstd, br, gzip)
        # but reads the body undecoded; the compression itself is tested in
        # tests/circularity/web/test_static_files.py.
        headers = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}
        key = (case.headers or {}).get("Idempotency-Key")
        if isinstance(key, str) and PATTERN.fullmatch(key):
            # A valid key of its own for each write: generated keys repeat (the shortest
            # string first), and a repeat is answered as a retry, not as the new write.
            headers["Idempotency-Key"] = uuid.uuid4().hex
        response = case.call(headers=headers)
        tally["responses"] += 1
        tally["5xx"] += response.status_code >= 500
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception:
            tally["off-schema"] += response.status_code < 500
            raise

    answers_within_its_schema()


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_operation_answers_within_its_schema(app, kind):
    name, access = KINDS[kind]
    with Session(get_engine(app), expire_on_commit=False) as session:
        _small_market(session)
        secret = api_tokens.create(session, person(session, name), name="fuzz", access=access)
    tally = TALLY.setdefault(kind, {"operations": 0, "responses": 0, "5xx": 0, "off-schema": 0})
    for operation in _operations(app):
        tally["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, secret.secret, tally)
            except Exception as error:
                error.add_note(f"{operation.method.upper()} {operation.path}, {mode.value} data")
                raise
