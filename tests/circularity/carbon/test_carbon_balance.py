"""Factor-set and inventory imports (whole file or nothing), the balance by hand, the CLI."""

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from circularity.cli import cli
from circularity.models import Factor, FactorSet, InventoryEntry
from circularity.services.carbon import balance, credits, factors
from circularity.services.carbon.csvfiles import RejectedFile
from tests.helpers import close, person, register

GOOD_SET = "material,kind,route,value,unit,source\nGlass,disposal,landfill,9,kg CO2e/t,row 1\n"
BAD_SET = (
    "material,kind,route,value,unit\n"
    "Glass,disposal,landfill,9,kg CO2e/t\n"  # row 2: fine
    "Glass,disposal,burying,9,kg CO2e/t\n"  # row 3: unknown route
    "Glass,production,primary,-4,kg CO2e/t\n"  # row 4: negative
    "Glass,production,reused,abc,lb\n"  # row 5: not a number, unknown unit
    "Glass,disposal,landfill,8,kg CO2e/t\n"  # row 6: repeats row 2
)


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def meta(**kw):
    values = dict(key="cn-local", name="Local", edition="2026", source="Survey", licence="CC0")
    return values | kw


def test_a_factor_file_with_bad_rows_is_rejected_whole_with_a_report(db_session):
    with pytest.raises(RejectedFile) as caught:
        factors.import_set(db_session, person(db_session, "mia"), data=BAD_SET, **meta())
    report = [(p.row, p.column) for p in caught.value.problems]
    assert report == [(3, "route"), (4, "value"), (5, "value"), (5, "unit"), (6, "route")]
    assert "Row 2 already gives this factor" in caught.value.problems[-1].problem
    assert count(db_session, FactorSet) == count(db_session, Factor) == 0


def test_a_file_without_the_columns_is_rejected_at_row_one(db_session):
    with pytest.raises(RejectedFile) as caught:
        factors.import_set(
            db_session, person(db_session, "mia"), data="material,value\nGlass,1\n", **meta()
        )
    assert {(p.row, p.column) for p in caught.value.problems} == {
        (1, "kind"),
        (1, "route"),
        (1, "unit"),
    }


def test_a_good_file_imports_and_converts_units(db_session):
    data = GOOD_SET + "Glass,production,primary,1.2,t CO2e/short ton,\n"
    library = factors.import_set(
        db_session, person(db_session, "mia"), data=data.encode(), **meta()
    )
    primary = library.factors[("Glass", "production", "primary")]
    assert primary.value == pytest.approx(1200 / 0.90718474)
    assert (primary.value_given, primary.unit_given) == (1.2, "t CO2e/short ton")
    with pytest.raises(Exception, match="exists"):
        factors.import_set(db_session, person(db_session, "mia"), data=GOOD_SET, **meta())
    with pytest.raises(Exception, match="exists"):
        factors.import_set(
            db_session, person(db_session, "mia"), data=GOOD_SET, **meta(key="defra-2025")
        )


def test_shipped_sets_carry_source_edition_and_licence(db_session):
    defra, epa = factors.get_set(db_session, "defra-2025"), factors.get_set(db_session, "epa-hub")
    assert "Open Government Licence v3.0" in defra.licence
    assert "public domain" in epa.licence and "short ton" in epa.source
    assert defra.factors[("Metal: scrap metal", "production", "primary")].value == 3473.11953
    assert defra.factors[("all", "freight", "road")].value == 0.10163
    # EPA lacks production factors, so they come from its base set, DEFRA 2025.
    found = factors.lookup(db_session, epa, "Metal: scrap metal", "production", "primary")
    assert (found.set_key, found.value) == ("defra-2025", 3473.11953)
    assert factors.lookup(db_session, epa, "Glass", "disposal", "landfill").set_key == "epa-hub"


def test_inventory_file_with_bad_rows_is_rejected_whole(db_session):
    data = (
        "area,year,month,tco2e\n"
        "energy,2026,3,50\n"
        "weather,2026,3,1\n"  # row 3: unknown area
        "energy,1999,13,x\n"  # row 4: year, month, tco2e
        "energy,2026,3,51\n"  # row 5: repeats row 2
    )
    with pytest.raises(RejectedFile) as caught:
        balance.import_inventory(db_session, person(db_session, "mia"), data)
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (3, "area"),
        (4, "year"),
        (4, "month"),
        (4, "tco2e"),
        (5, "month"),
    ]
    assert count(db_session, InventoryEntry) == 0


def test_balance_by_hand(db_session):
    mia = person(db_session, "mia")
    # Baseline 2024: eight areas × 100 t = 800 t. Target 2028: the path allows 800 × 2/4 =
    # 400 t in 2026, 400/12 = 33.3333 t a month.
    lines = [f"{area},2024,,100" for area in balance.INVENTORY_AREAS]
    lines += ["energy,2026,3,50", "industry,2026,3,30"]
    assert (
        balance.import_inventory(db_session, mia, "area,year,month,tco2e\n" + "\n".join(lines))
        == 10
    )
    balance.record_inventory(db_session, mia, area="energy", year="2026", month="3", tco2e="60")
    # 10 t of iron and steel recycled on site in March 2026, priced as steel:
    # 10 × (8.98311 − 4.68568) + 10 × (2863.90131 − 1823.90131) = 42.9743 + 10400 = 10442.9743 kg
    close(
        db_session,
        register(db_session),
        who="alice",
        operation="R4",
        event_time=datetime(2026, 3, 15, tzinfo=UTC),
    )
    credits.book_credits(db_session)
    result = balance.balance(db_session)
    assert (result.baseline_year, result.baseline_t, result.target_year) == (2024, 800, 2028)
    base, year = result.years
    assert (base.year, base.inventory_t, base.path_t, base.gap_t, base.complete) == (
        2024,
        800,
        800,
        0,
        True,
    )
    # 2026: inventory 60 + 30 = 90 (energy's newer figure counts). The balance is the
    # inventory; the 10.4429743 t avoided stand beside it and only the memo item nets them.
    assert year.inventory_t == 90
    assert year.balance_t == 90
    assert year.avoided_t == pytest.approx(10.4429743)
    assert year.provisional_t == 0
    assert year.net_memo_t == pytest.approx(90 - 10.4429743)
    assert year.gap_t == pytest.approx(90 - 400)
    assert not result.illustrative
    assert len(year.missing_areas) == 6
    (march,) = result.months
    assert (march.year, march.month) == (2026, 3)
    assert march.path_t == pytest.approx(400 / 12)
    assert march.gap_t == pytest.approx(90 - 400 / 12)


def test_a_figure_beyond_any_district_is_held_for_a_confirmation(db_session):
    # 150,000 people × 80 t a person a year = 12 Mt CO2e in one area: above it, confirm.
    mia = person(db_session, "mia")
    with pytest.raises(balance.NeedsConfirmation):
        balance.record_inventory(
            db_session, mia, area="energy", year="2026", month="", tco2e="12000001"
        )
    assert count(db_session, InventoryEntry) == 0
    csv_text = "area,year,month,tco2e\nenergy,2026,,1.2e300\n"
    with pytest.raises(RejectedFile):
        balance.import_inventory(db_session, mia, csv_text, confirmed=True)
    held = "area,year,month,tco2e\nenergy,2026,3,1000001\n"  # above 12 Mt / 12 a month
    with pytest.raises(RejectedFile):
        balance.import_inventory(db_session, mia, held)
    assert balance.import_inventory(db_session, mia, held, confirmed=True) == 1
    entry = balance.record_inventory(
        db_session, mia, area="energy", year="2026", month="", tco2e="12000001", confirmed=True
    )
    assert entry.tco2e == 12000001


def test_a_form_value_out_of_range_is_refused(db_session):
    with pytest.raises(Exception, match="month"):
        balance.record_inventory(
            db_session, person(db_session, "mia"), area="energy", year="2026", month="14", tco2e="1"
        )
    assert count(db_session, InventoryEntry) == 0


def test_cli_books_and_rejects_bad_files_with_status_two(app, db_session, database_url, tmp_path):
    close(db_session, register(db_session), who="alice", operation="R4")
    runner = CliRunner()
    env = {"DATABASE_URL": database_url}
    result = runner.invoke(cli, ["credit"], env=env)
    assert result.exit_code == 0 and "1 ledger entries written" in result.output
    assert "0 ledger entries" in runner.invoke(cli, ["credit"], env=env).output
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_SET)
    args = [
        "import-factors",
        str(bad),
        "--key",
        "cn",
        "--name",
        "n",
        "--edition",
        "1",
        "--source",
        "s",
        "--licence",
        "l",
        "--user",
        "mia@park.test",
    ]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 2
    assert "row 3, route:" in result.output and "row 6, route:" in result.output
    assert count(db_session, FactorSet) == 0
    good = tmp_path / "good.csv"
    good.write_text(GOOD_SET)
    args[1] = str(good)
    assert runner.invoke(cli, args, env=env).exit_code == 0
    staff = runner.invoke(cli, [*args[:-1], "alice@park.test"], env=env)
    assert staff.exit_code == 2
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("area,year,month,tco2e\nenergy,2026,0,-1\n")
    result = runner.invoke(
        cli, ["import-inventory", str(inventory), "--user", "mia@park.test"], env=env
    )
    assert result.exit_code == 2 and "row 2, tco2e:" in result.output
