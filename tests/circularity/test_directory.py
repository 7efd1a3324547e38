"""Each process keeps the companies and people it has read (services.directory) for as long
as the database's directory version stays the same; every change moves the version."""

from sqlalchemy import text

from circularity.db import get_engine
from circularity.models import Company
from circularity.services import accounts, directory
from tests.circularity.helpers import register
from tests.conftest import person


def version(session) -> int:
    return session.execute(text("SELECT version FROM directoryversion WHERE id = 1")).scalar()


def test_every_change_to_a_company_or_a_person_moves_the_version(ctx):
    steps = [
        "UPDATE company SET name = 'Steel Mill' WHERE name = 'Steelworks'",
        "UPDATE \"user\" SET name = 'Alice Li' WHERE email = 'alice@park.test'",
        "INSERT INTO company (name, sector, address, lat, lon, active, created_at) "
        "VALUES ('Glassworks', 'glass', '', 31.6, 121.2, true, CURRENT_TIMESTAMP)",
        "DELETE FROM company WHERE name = 'Glassworks'",
    ]
    before = version(ctx)
    for i, statement in enumerate(steps, start=1):
        ctx.execute(text(statement))
        ctx.commit()
        assert version(ctx) == before + i, statement
    accounts.create_user(
        ctx, email="new@park.test", name="New", password="long enough pass", role="coordinator"
    )
    assert version(ctx) == before + len(steps) + 1


def test_a_person_deactivated_behind_the_apps_back_is_logged_out_at_once(as_person, ctx):
    client = as_person("alice")
    assert client.get("/").status_code == 200  # alice is now kept by this process
    ctx.execute(text("UPDATE \"user\" SET active = false WHERE email = 'alice@park.test'"))
    ctx.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_renamed_company_shows_on_the_next_page(as_person, ctx):
    code = register(ctx)
    client = as_person("alice")
    assert "Steelworks" in client.get(f"/b/{code}").get_data(as_text=True)
    ctx.execute(text("UPDATE company SET name = 'Taicang Steel' WHERE name = 'Steelworks'"))
    ctx.commit()
    html = client.get(f"/b/{code}").get_data(as_text=True)
    assert "Taicang Steel" in html and "Steelworks" not in html


def test_kept_objects_are_shared_until_the_version_moves(app, ctx):
    from sqlmodel import Session

    alice = person(ctx, "alice")
    engine = get_engine(app)
    with Session(engine) as first, Session(engine) as second:
        user, company = directory.user_with_company(first, alice.id)
        assert directory.user_with_company(second, alice.id)[0] is user
        assert (user.email, company.name) == ("alice@park.test", "Steelworks")
    ctx.get(Company, company.id).sector = "steel and iron"
    ctx.commit()
    with Session(engine) as third:
        reloaded, _company = directory.user_with_company(third, alice.id)
        assert reloaded is not user
        assert [c.name for c in directory.companies(third)] == ["Cement", "Recycler", "Steelworks"]
    assert directory.user_with_company(ctx, 10**6) is None


def test_a_write_sees_its_own_change_in_the_same_session(ctx):
    names = [c.name for c in directory.companies(ctx)]
    accounts.create_company(ctx, name="Glassworks", sector="glass", lat=31.6, lon=121.2)
    assert [c.name for c in directory.companies(ctx)] == sorted([*names, "Glassworks"])
