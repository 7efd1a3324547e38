"""The app's commands: init-db, create-user, seed-demo (on a small stream set), verify."""

import pytest
from click.testing import CliRunner
from sqlmodel import Session, func, select

from circularity import create_app
from circularity.cli import cli
from circularity.commands import demo_park
from circularity.db import get_engine
from circularity.models import Batch, Company, Event
from circularity.services.custody import chain


@pytest.fixture
def fresh_url(tmp_path):
    return f"sqlite:///{tmp_path / 'fresh.sqlite'}"


def test_init_db_then_create_user(fresh_url):
    runner = CliRunner()
    env = {"DATABASE_URL": fresh_url}
    result = runner.invoke(cli, ["init-db"], env=env)
    assert result.exit_code == 0 and "Database ready" in result.output
    again = runner.invoke(cli, ["init-db"], env=env)  # idempotent
    assert again.exit_code == 0
    result = runner.invoke(
        cli,
        ["create-user", "--email", "root@park.test", "--name", "Root", "--role", "admin"],
        input="a long password\na long password\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    short = runner.invoke(
        cli,
        ["create-user", "--email", "x@park.test", "--name", "X", "--role", "admin"],
        input="short\nshort\n",
        env=env,
    )
    assert short.exit_code == 2 and "password" in short.output
    staff = runner.invoke(
        cli,
        ["create-user", "--email", "y@park.test", "--name", "Y", "--role", "staff"],
        input="a long password\na long password\n",
        env=env,
    )
    assert staff.exit_code == 2 and "company" in staff.output


def test_demo_park_seeds_verifiable_history(fresh_url):
    from circularity import migrate

    app = create_app({"DATABASE_URL": fresh_url, "SECRET_KEY": "x"})
    migrate.upgrade(get_engine(app))
    streams = [s for s in demo_park.STREAMS if s.site in ("steel2", "auto", "wwtp")]
    with Session(get_engine(app), expire_on_commit=False) as session:
        logins = demo_park.seed(session, streams=streams)
        assert logins["admin"] == "admin@demo.circularity"
        companies = session.exec(select(Company)).all()
        assert len(companies) == len(demo_park.SITES) >= 30
        for company in companies:
            assert 31.4 <= company.lat <= 31.7 and 121.0 <= company.lon <= 121.3
        operations = dict(
            session.exec(select(Event.operation, func.count()).group_by(Event.operation)).all()
        )
        assert set(operations) == {"register", "ship", "receive", "close", "split", "merge"}
        first, last = session.exec(
            select(func.min(Event.event_time), func.max(Event.event_time))
        ).one()
        assert (last - first).days >= 150  # about six months of history
        assert (
            session.exec(
                select(func.count()).select_from(Batch).where(Batch.material_code == "191202")
            ).one()
            > 0
        )
        assert chain.verify(session).ok
        with pytest.raises(ValueError):
            demo_park.seed(session, streams=[])
    get_engine(app).dispose()


def test_seed_demo_refuses_a_used_database(app):
    result = CliRunner().invoke(
        cli, ["seed-demo"], env={"DATABASE_URL": app.config["DATABASE_URL"]}
    )
    assert result.exit_code == 2 and "empty" in result.output
