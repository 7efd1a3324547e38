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
    hostile.keep(walk)
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


def test_no_hostile_value_gets_a_server_error_before_login(client):
    """The login form and whatever a stranger can reach (NUL bytes in the email once made
    PostgreSQL refuse the query with a 500)."""
    walk = hostile.crawl(client, "anonymous", start="/login")
    assert ("post", "/login") in {
        (f.method, f.action) for forms in walk.forms.values() for _, f in forms
    }
    hostile.fuzz_paths(client, walk)
    hostile.fuzz_forms(client, walk)
    for path in ("/b/" + "0" * 26, "/b/%00", "/b/" + "x" * 5000, "/scan?code=%00"):
        walk.answers.append(("GET", path, "path", "", client.get(path).status_code))
    hostile.keep(walk)
    assert walk.server_errors == []


def test_a_material_filter_no_code_could_be_is_refused_with_its_name(park, as_person):
    """The start page's filter once sent a NUL byte to the database (PostgreSQL: a 500)."""
    client = as_person("alice")
    answer = client.get("/?material=15%2001%0002")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Material: Remove the control characters from this text." in page
    assert "0 batches" in page
    assert client.get("/?material=" + "1" * 21).status_code == 422
    assert client.get("/?material=15%2001%2002").status_code == 200
