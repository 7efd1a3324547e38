"""The monthly totals equal a recomputation from the event log, and the dashboard's figures
equal the analysis pages' for the same months.

The hand-built history (2025, the fixtures' park: Steelworks alice, Recycler bob, Cement carl):

- Jan 10 alice registers 10 t of scrap (170405), ships it to the Recycler on Jan 11; bob weighs
  9.8 t on Jan 12 (0.2 t lost) and closes it by R4 on Jan 13, producing 9 t (191202), which
  goes to Cement (Jan 14, received 9 t on Jan 15) and is closed there by R5 on Jan 16.
- Jan 17 alice registers 2 t of slag (100202), landfilled (D1) on Jan 18.
- alice registers 1 t (170904) on Jan 19 and incinerates it (D10) on Jan 31 at 18:00 UTC,
  which is Feb 1, 02:00 in Taicang: a February closing.
- Feb 5 alice registers 4 t of slag, landfilled on Feb 6.

Closings of 2025: recycling 9.8 + 9 = 18.8 t, landfill 2 + 4 = 6 t, incineration 1 t; finally
treated 25.8 t. Recycling rate 18.8 / 25.8 = 72.87 %, landfill diversion 1 − 6 / 25.8 = 76.74 %.
January alone: 18.8 / 20.8 recycled; February: 0 recycled, diversion 1 − 4 / 5 = 20 %.
"""

from contextlib import suppress
from datetime import date

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from circularity.cli import cli
from circularity.db import get_engine
from circularity.models import MonthlyFlow
from circularity.services.analysis import dashboard, figures, monthly_totals, records
from circularity.services.errors import InvalidInput, ServiceError
from tests.helpers import apply, company_id, history, operation

YEAR = dashboard.parse_window("2025")


def test_the_hand_built_history_by_hand(db_session):
    history(db_session)
    board = dashboard.dashboard(db_session, YEAR)
    park = board.park
    assert park.by_fate_g["recycling"] == 18_800_000
    assert park.by_fate_g["landfill"] == 6_000_000
    assert park.by_fate_g["incineration"] == 1_000_000
    assert park.treated_g == 25_800_000
    assert park.recycling_rate == pytest.approx(18.8 / 25.8)
    assert park.landfill_diversion_rate == pytest.approx(1 - 6 / 25.8)
    assert park.registered_g == 17_000_000 and park.lost_g == 200_000
    assert park.exchanged_g == 19_000_000
    trend = dict(board.trend)
    assert trend["2025-01"].recycling_rate == pytest.approx(18.8 / 20.8)
    assert trend["2025-02"].treated_g == 5_000_000
    assert trend["2025-02"].landfill_diversion_rate == pytest.approx(0.2)
    assert trend["2025-03"].treated_g == 0
    steel = company_id(db_session, "Steelworks")
    assert [(s.company.id, s.material, s.sink, s.mass_g, s.batches) for s in board.streams] == [
        (steel, "100202", "landfill", 6_000_000, 2),
        (steel, "170904", "incineration", 1_000_000, 1),
    ]
    rows = {r.company.name: r.figures for r in board.companies}
    assert rows["Steelworks"].treated_g == 7_000_000
    assert rows["Steelworks"].landfill_diversion_rate == pytest.approx(1 - 6 / 7)
    assert rows["Recycler"].recycling_rate == 1.0
    assert rows["Cement"].received_g == 9_000_000


def same_as_analysis(db_session, window: dashboard.Window) -> None:
    """The dashboard's figures are the analysis page's for the same days."""
    board = dashboard.dashboard(db_session, window)
    data = records.custody_data(db_session, window.period)
    park = figures.indicators(data, figures.Scope())
    assert board.park.recycling_rate == pytest.approx(park.rates.recycling_rate, rel=1e-12)
    assert board.park.landfill_diversion_rate == pytest.approx(
        park.rates.landfill_diversion_rate, rel=1e-12
    )
    assert board.park.treated_g / 1000 == pytest.approx(park.rates.treated_kg, rel=1e-12)
    for fate, kg in park.rates.by_fate_kg.items():
        assert board.park.by_fate_g[fate] / 1000 == pytest.approx(kg, rel=1e-12)
    assert board.park.shipped_g / 1000 == pytest.approx(park.secondary_inflow_kg, rel=1e-12)
    assert board.symbiosis.exchanges == park.symbiosis.exchanges
    assert board.symbiosis.exchange_mass_kg == pytest.approx(
        park.symbiosis.exchange_mass_kg, rel=1e-12
    )
    assert board.symbiosis.waste_to_companies_share == pytest.approx(
        park.symbiosis.waste_to_companies_share, rel=1e-12
    )
    assert board.symbiosis.closed_loops == park.symbiosis.closed_loops
    for row in board.companies:
        scope = figures.Scope(company=records.process_id(row.company.id))
        rates = figures.indicators(data, scope).rates
        assert row.figures.recycling_rate == pytest.approx(rates.recycling_rate, rel=1e-12)
        assert row.figures.treated_g / 1000 == pytest.approx(rates.treated_kg, rel=1e-12)
    flows = {(f.source, f.target): f.mass_kg for f in figures.scoped_flows(data, figures.Scope())}
    mine: dict = {}
    for f in board.flows:
        mine[(f.source, f.target)] = mine.get((f.source, f.target), 0.0) + f.mass_kg
    assert mine == pytest.approx(flows, rel=1e-12)


def test_the_dashboard_equals_the_analysis_for_a_year_and_for_a_month(db_session):
    history(db_session)
    same_as_analysis(db_session, YEAR)
    february = dashboard.Window("2025-02", ("2025-02",))
    assert february.period == records.Period(date(2025, 2, 1), date(2025, 2, 28))
    same_as_analysis(db_session, february)
    assert dashboard.dashboard(db_session, february).park.recycling_rate == 0.0


def test_totals_equal_the_log_and_rebuilding_is_idempotent(db_session):
    history(db_session)
    assert monthly_totals.differences(db_session) == []
    before = monthly_totals.stored(db_session)
    assert monthly_totals.rebuild(db_session) == len(before)
    assert monthly_totals.rebuild(db_session) == len(before)
    assert monthly_totals.stored(db_session) == before
    assert monthly_totals.differences(db_session) == []


def test_a_changed_total_is_found(db_session):
    history(db_session)
    row = db_session.exec(select(MonthlyFlow)).first()
    row.mass_g += 1
    db_session.add(row)
    db_session.commit()
    found = monthly_totals.differences(db_session)
    assert len(found) == 1 and found[0][1][0] == found[0][2][0] + 1
    monthly_totals.rebuild(db_session)
    assert monthly_totals.differences(db_session) == []


def test_the_window(db_session):
    window = dashboard.parse_window("12m", today=date(2025, 3, 9))
    assert window.months[0] == "2024-04" and window.months[-1] == "2025-03"
    assert window.period == records.Period(date(2024, 4, 1), date(2025, 3, 31))
    assert dashboard.parse_window("2024").months[11] == "2024-12"
    for bad in ("1999", "x", "2025-01"):
        with pytest.raises(InvalidInput):
            dashboard.parse_window(bad)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, min_size=1, max_size=20))
def test_totals_equal_a_recomputation_after_any_operations(app, operations):
    with Session(get_engine(app), expire_on_commit=False) as session:
        for op in operations:
            with suppress(ServiceError):  # a refused operation writes nothing
                apply(session, op)
        assert monthly_totals.differences(session) == []
        with app.app_context():
            same_as_analysis(session, dashboard.parse_window("12m"))


def test_verify_names_stale_totals_and_rebuilds_them(app, db_session, database_url):
    history(db_session)
    row = db_session.exec(select(MonthlyFlow)).first()
    row.records += 5
    db_session.add(row)
    db_session.commit()
    runner = CliRunner()
    env = {"DATABASE_URL": database_url}
    stale = runner.invoke(cli, ["verify"], env=env)
    assert stale.exit_code == 1 and "1 dashboard totals differ" in stale.output
    fixed = runner.invoke(cli, ["verify", "--rebuild-totals"], env=env)
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(cli, ["verify"], env=env).exit_code == 0
