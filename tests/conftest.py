"""Fixtures shared by every test: an app on a fresh database, clients, and the people of a
small park (three companies, staff in each, a coordinator, management and an admin).

The database is SQLite unless TEST_DATABASE_URL names a PostgreSQL server (CI runs the suite
on both). A migrated database with the small park is built once per session and copied for
each test (a file copy for SQLite, CREATE DATABASE ... TEMPLATE for PostgreSQL), so every
test starts from the same state quickly.
"""

import os
import shutil
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from circularity import create_app, migrate
from circularity.db import get_session, make_engine
from circularity.extensions import limiter
from tests.helpers import COMPANIES, PASSWORD, PEOPLE, login

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def _seed_small_park(url: str) -> None:
    from circularity.services import accounts

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x"})
    with app.app_context():
        session = get_session()
        ids = {}
        for name, (sector, lat, lon) in COMPANIES.items():
            ids[name] = accounts.create_company(
                session, name=name, sector=sector, lat=lat, lon=lon
            ).id
        for person, (role, company) in PEOPLE.items():
            accounts.create_user(
                session,
                email=f"{person}@park.test",
                name=person.title(),
                password=PASSWORD,
                role=role,
                company_id=ids.get(company),
            )
    from circularity.db import get_engine

    get_engine(app).dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    if PG_URL:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"circ_template_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        _seed_small_park(make_url(PG_URL).set(database=name).render_as_string(False))
        yield name
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "park.sqlite"
        _seed_small_park(f"sqlite:///{path}")
        yield path


@pytest.fixture
def database_url(template_db, tmp_path):
    """A fresh copy of the small park for one test."""
    if PG_URL:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"circ_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template_db}"))
        yield make_url(PG_URL).set(database=name).render_as_string(False)
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    else:
        path = tmp_path / "park.sqlite"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"


class HttpsClient(FlaskClient):
    """Requests go to https://, as in production, so Secure cookies travel; like a browser
    it names the page a form was sent from (Flask-WTF checks the Referer over https)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://localhost")
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Referer", "https://localhost/")
        return super().open(*args, headers=headers, **kwargs)


@pytest.fixture
def app(database_url):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test secret",
            "BASE_URL": "https://circularity.park.test",
            # Jobs run in the request that starts them; tests/circularity/jobs start a worker.
            "JOBS_URL": "immediate",
        }
    )
    app.test_client_class = HttpsClient
    with app.app_context():
        limiter.reset()
    yield app
    from circularity.db import get_engine

    get_engine(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    """A database session for calling services directly, as the CLI does.

    No app context stays pushed: requests made by test clients meanwhile must get their
    own (Flask reuses a pushed one, and with it ``g``).
    """
    from sqlmodel import Session

    from circularity.db import get_engine

    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def as_person(app):
    """as_person('alice') gives a logged-in test client for that person."""

    def make(name: str):
        return login(app.test_client(), name)

    return make
