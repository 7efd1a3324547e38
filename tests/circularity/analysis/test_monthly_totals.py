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

Closings of 2025, each tonne once: the Recycler closed 9.8 t by R4 and produced 9 t of it as
191202, which is counted where it is closed (Cement, R5), so R4 ended 9.8 − 9 = 0.8 t and
recycling is 0.8 + 9 = 9.8 t; landfill 2 + 4 = 6 t, incineration 1 t; finally treated 16.8 t.
Recycling rate 9.8 / 16.8 = 58.33 %, landfill diversion 1 − 6 / 16.8 = 64.29 %.
January alone: 9.8 / 11.8 recycled; February: 0 recycled, diversion 1 − 4 / 5 = 20 %.
"""

from contextlib import suppress
from datetime import date

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from circularity.cli import cli
from circularity.db import get_engine
from circularity.models import COMPANY_KINDS, Batch, Company, MonthlyFlow
from circularity.services import custody
from circularity.services.analysis import dashboard, figures, monthly_totals, records
from circularity.services.errors import InvalidInput, ServiceError
from tests.helpers import (
    COMPANIES,
    COMPANY,
    STAFF,
    apply,
    company_id,
    history,
    kg,
    new_id,
    operation,
    person,
)

YEAR = dashboard.parse_window("2025")


def test_the_hand_built_history_by_hand(db_session):
    history(db_session)
    board = dashboard.dashboard(db_session, YEAR)
    park = board.park
    assert park.closed_g["recycling"] == 18_800_000
    assert park.produced_g["recycling"] == 9_000_000
    assert park.by_fate_g["recycling"] == 9_800_000
    assert park.by_fate_g["landfill"] == 6_000_000
    assert park.by_fate_g["incineration"] == 1_000_000
    assert park.treated_g == 16_800_000
    assert park.recycling_rate == pytest.approx(9.8 / 16.8)
    assert park.landfill_diversion_rate == pytest.approx(1 - 6 / 16.8)
    assert park.registered_g == 17_000_000 and park.lost_g == 200_000
    assert park.exchanged_g == 19_000_000
    trend = dict(board.trend)
    assert trend["2025-01"].recycling_rate == pytest.approx(9.8 / 11.8)
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
    # The Recycler ended 0.8 t by R4 (9.8 t closed, 9 t produced): all it treated, recycled.
    assert rows["Recycler"].treated_g == 800_000 and rows["Recycler"].recycling_rate == 1.0
    assert rows["Cement"].received_g == 9_000_000


def same_as_analysis(db_session, window: dashboard.Window) -> None:
    """The dashboard's figures are the analysis page's for the same days."""
    board = dashboard.dashboard(db_session, window)
    data = records.custody_data(db_session, window.period)
    park = figures.indicators(data, figures.Scope())
    # The dashboard nets in exact grams, the analysis in float kilograms: a fate whose
    # closings produced all they took in is 0 g on one side and a rounding residue (1e-12 kg)
    # on the other, hence the absolute tolerance beside the relative one.
    near = {"rel": 1e-12, "abs": 1e-6}
    assert board.park.recycling_rate == pytest.approx(park.rates.recycling_rate, **near)
    assert board.park.landfill_diversion_rate == pytest.approx(
        park.rates.landfill_diversion_rate, **near
    )
    assert board.park.treated_g / 1000 == pytest.approx(park.rates.treated_kg, **near)
    for fate, kilograms in park.rates.by_fate_kg.items():
        assert board.park.by_fate_g[fate] / 1000 == pytest.approx(kilograms, **near)
    assert board.park.shipped_g / 1000 == pytest.approx(park.secondary_inflow_kg, **near)
    assert board.symbiosis.exchanges == park.symbiosis.exchanges
    assert board.symbiosis.exchange_mass_kg == pytest.approx(
        park.symbiosis.exchange_mass_kg, **near
    )
    # The headline "exchanged between companies" is the network's exchange mass.
    assert board.park.exchanged_g / 1000 == pytest.approx(park.symbiosis.exchange_mass_kg, **near)
    assert board.symbiosis.companies_linked == park.symbiosis.companies_linked
    assert board.symbiosis.waste_to_companies_share == pytest.approx(
        park.symbiosis.waste_to_companies_share, **near
    )
    assert board.symbiosis.closed_loops == park.symbiosis.closed_loops
    for row in board.companies:
        scope = figures.Scope(company=records.process_id(row.company.id))
        rates = figures.indicators(data, scope).rates
        assert row.figures.recycling_rate == pytest.approx(rates.recycling_rate, **near)
        assert row.figures.treated_g / 1000 == pytest.approx(rates.treated_kg, **near)
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


# Closings by any route, with outputs up to the whole mass: the counting rules' cases (a
# closing's outputs recycled, burnt, landfilled or still held; a second recycling).
closing = st.tuples(
    st.just("close by"),
    st.integers(0, 30),
    st.integers(0, 100),
    st.sampled_from(["R3", "R4", "R5", "R1", "D1", "D9", "D10", "R13"]),
)


def close_by(session: Session, op: tuple) -> None:
    _, index, share, route = op
    batches = session.exec(select(Batch).where(Batch.status == "held").order_by(Batch.id)).all()
    if not batches:
        return
    batch = batches[index % len(batches)]
    holder = next(p for p in STAFF if company_id(session, COMPANY[p]) == batch.company_id)
    output = batch.mass_g * share // 100
    custody.close(
        session,
        person(session, holder),
        batch.code,
        operation=route,
        outputs=[("191202", kg(output), "kg", "weighed")] if output else [],
        client_event_id=new_id(),
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from(COMPANY_KINDS), min_size=3, max_size=3),
    operations=st.lists(st.one_of(operation, closing), min_size=1, max_size=25),
)
@example(  # a delivery to waste management, recyclate burnt, a residue still held
    kinds=["producer", "recycler", "waste_management"],
    operations=[
        ("register", "alice", 5_000_000),
        ("ship", 0, "bob"),
        ("close by", 0, 80, "R4"),
        ("ship", 1, "carl"),
        ("close by", 1, 0, "R1"),
        ("register", "alice", 1_000_000),
        ("ship", 2, "carl"),
    ],
)
def test_the_dashboard_agrees_with_the_analysis_under_the_counting_rules(app, kinds, operations):
    """Whatever the history and the companies' kinds, the dashboard (monthly totals) and the
    analysis (the event log) count each tonne once, exchanges between producing companies
    only, and park totals over batches, to the same figures."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        for name, kind in zip(COMPANIES, kinds, strict=True):
            company = session.get(Company, company_id(session, name))
            company.kind = kind
            session.add(company)
        session.commit()
        for op in operations:
            with suppress(ServiceError):  # a refused operation writes nothing
                (close_by if op[0] == "close by" else apply)(session, op)
        with app.app_context():
            same_as_analysis(session, dashboard.parse_window("12m"))
