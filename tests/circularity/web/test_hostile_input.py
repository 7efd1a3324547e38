"""No input makes a 5xx: every form and route parameter, as each role, with hostile values.

The walk (tests/hostile.py) crawls what each person may see in a small park with a history,
then sends every form once per field and hostile value and replaces every id, code and query
value in the pages' addresses. On SQLite and, in CI, on PostgreSQL.
"""

import pytest

from tests import hostile
from tests.helpers import demand, history, offer, register, ship


@pytest.fixture
def park(db_session):
    history(db_session)
    for _ in range(6):
        register(db_session, "alice", "3", material="170405")
        register(db_session, "bob", "5", material="150102")
        ship(db_session, register(db_session, "alice", "2"), "alice", to="Recycler")
    offer(db_session, "alice")
    demand(db_session, "bob")


@pytest.mark.parametrize("who", ["alice", "bob", "cora", "mia", "ada"])
def test_no_hostile_value_gets_a_server_error(park, as_person, who):
    client = as_person(who)
    walk = hostile.crawl(client, who)
    assert len(walk.pages) >= 3
    hostile.fuzz_paths(client, walk)
    hostile.fuzz_forms(client, walk)
    assert walk.server_errors == []
    # The walk reached the forms that matter for this person, and tried each of them.
    tried = {(method, hostile.pattern(url)) for method, url, name, _, _ in walk.answers if name}
    assert ("GET", "/") in tried or who == "ada"
    if who in ("alice", "bob"):
        assert {
            ("POST", "/batches"),
            ("POST", "/b/<code>/ship"),
            ("POST", "/b/<code>/close"),
        } <= tried
