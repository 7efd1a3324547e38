"""Custody events become mfa records and stock changes: checked on small histories by hand.

The park of the fixtures: Steelworks (alice), Recycler (bob), Cement (carl). Event times are
set explicitly at noon UTC (20:00 in Taicang, the same calendar day), so periods of whole
days pick exactly the events a reader expects.
"""

from datetime import UTC, date, datetime

import pytest

from circularity.services.analysis import figures, records
from circularity.services.errors import InvalidInput, ServiceError
from mfa.balance import mass_balances
from mfa.model import build_flows
from tests.helpers import close, company_id, receive, register, ship


def noon(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 12, tzinfo=UTC)


def pids(db_session) -> tuple[str, str, str]:
    return tuple(f"c{company_id(db_session, n)}" for n in ("Steelworks", "Recycler", "Cement"))


def rows(data):
    """Records as (batch, material, kg, source, target, kind, route, basis), in event order."""
    return [
        (r.batch_id, r.material, r.mass_kg, r.source, r.target, r.kind, r.route, r.basis)
        for r in data.records
    ]


def period(first: date, last: date) -> records.Period:
    return records.Period(first, last)


def circular_history(db_session):
    """10 t of scrap from the steelworks is recycled (R4) into 9.2 t that the cement works
    uses (R5); the steelworks also landfills 2 t (D1) and burns 1 t for energy (R1)."""
    scrap = register(db_session, "alice", "10", event_time=noon(1, 10))
    ship(db_session, scrap, "alice", to="Recycler", event_time=noon(1, 11))
    receive(db_session, scrap, "bob", "10", event_time=noon(1, 12))
    output = close(db_session, scrap, "bob", "R4", outputs=[("191202", "9.2", "t", "weighed")],
                   event_time=noon(1, 13)).batch_codes[1]  # fmt: skip
    ship(db_session, output, "bob", to="Cement", event_time=noon(1, 14))
    receive(db_session, output, "carl", "9.2", event_time=noon(1, 15))
    close(db_session, output, "carl", "R5", event_time=noon(1, 16))
    slag = register(db_session, "alice", "2", material="100202", basis="estimated",
                    event_time=noon(1, 17))  # fmt: skip
    close(db_session, slag, "alice", "D1", event_time=noon(1, 18))
    fuel = register(db_session, "alice", "1", material="170904", event_time=noon(1, 19))
    close(db_session, fuel, "alice", "R1", event_time=noon(1, 20))
    return scrap, output, slag, fuel


JANUARY = period(date(2025, 1, 1), date(2025, 1, 31))


def test_events_become_the_records_a_reader_expects(db_session):
    steel, recycler, cement = pids(db_session)
    scrap, output, slag, fuel = circular_history(db_session)
    data = records.custody_data(db_session, JANUARY)
    assert rows(data) == [
        (scrap, "170405", 10000.0, steel, None, "generation", None, "weighed"),
        (scrap, "170405", 10000.0, steel, recycler, "shipment", None, "weighed"),
        # the receipt weighed what was sent: no record
        (scrap, "170405", 10000.0, recycler, None, "closing", "R4", "weighed"),
        (output, "191202", 9200.0, recycler, None, "treatment", "R4", "weighed"),
        (output, "191202", 9200.0, recycler, cement, "shipment", None, "weighed"),
        (output, "191202", 9200.0, cement, None, "closing", "R5", "weighed"),
        (slag, "100202", 2000.0, steel, None, "generation", None, "estimated"),
        (slag, "100202", 2000.0, steel, None, "closing", "D1", "estimated"),
        (fuel, "170904", 1000.0, steel, None, "generation", None, "weighed"),
        (fuel, "170904", 1000.0, steel, None, "closing", "R1", "weighed"),
    ]
    # Everything that entered custody in January also left it: no stock changes.
    assert [s.change_kg for s in data.stocks] == [0.0] * len(data.stocks)
    assert data.names[steel] == "Steelworks"


def test_a_consistent_history_balances_at_every_company(db_session):
    circular_history(db_session)
    data = records.custody_data(db_session, JANUARY)
    balances = mass_balances(build_flows(data.records), figures.company_stocks(data.stocks))
    assert {b.process for b in balances} == set(pids(db_session))
    assert [b.imbalance_kg for b in balances] == [0.0, 0.0, 0.0]
    report = figures.reconciliation(data)
    assert report.result.consistent and report.result.chi_square == pytest.approx(0, abs=1e-9)
    assert report.flagged == [] and report.unbalanced == []


def test_period_filter_and_the_mass_a_batch_had_when_shipped(db_session):
    """Registered in January, shipped in February, received short in March (9.5 of 10 t)."""
    steel, recycler, _ = pids(db_session)
    code = register(db_session, "alice", "10", event_time=noon(1, 10))
    ship(db_session, code, "alice", event_time=noon(2, 3))
    receive(db_session, code, "bob", "9.5", reason="dust blown off", event_time=noon(3, 4))

    january = records.custody_data(db_session, JANUARY)
    assert rows(january) == [(code, "170405", 10000.0, steel, None, "generation", None, "weighed")]
    assert [(s.process, s.change_kg) for s in january.stocks] == [(steel, 10000.0)]

    # February holds only the shipment, with the 10 t the batch had (from January's row);
    # in transit it counts in the receiver's stock.
    february = records.custody_data(db_session, period(date(2025, 2, 1), date(2025, 2, 28)))
    assert rows(february) == [(code, "170405", 10000.0, steel, recycler, "shipment", None,
                               "weighed")]  # fmt: skip
    assert {(s.process, s.change_kg) for s in february.stocks} == {
        (steel, -10000.0),
        (recycler, 10000.0),
    }

    march = records.custody_data(db_session, period(date(2025, 3, 1), date(2025, 3, 31)))
    assert rows(march) == [(code, "170405", 500.0, recycler, None, "loss", None, "weighed")]
    assert march.reasons == ["receive"]
    # 20:00 in Taicang on 3 March is still 3 March: the day boundary is the park's midnight.
    assert (
        records.custody_data(db_session, period(date(2025, 2, 4), date(2025, 3, 3))).records == []
    )


def test_a_receipt_discrepancy_shows_as_imbalance_and_is_flagged(db_session):
    """10 t sent, 6 t received: the reported flows leave 4 t missing at the recycler."""
    steel, recycler, _ = pids(db_session)
    code = register(db_session, "alice", "10", event_time=noon(1, 10))
    ship(db_session, code, "alice", event_time=noon(1, 11))
    receive(db_session, code, "bob", "6", reason="half the load missing", event_time=noon(1, 12))
    data = records.custody_data(db_session, JANUARY)
    assert rows(data)[-1] == (code, "170405", 4000.0, recycler, None, "loss", None, "weighed")

    # With the loss record kept, the ledger closes: 10 in = 4 lost + 6 held.
    ledger = mass_balances(build_flows(data.records), figures.company_stocks(data.stocks))
    assert [b.imbalance_kg for b in ledger] == [0.0, 0.0]

    report = figures.reconciliation(data)
    assert report.discrepancies == 1
    imbalance = {b.process: b.imbalance_kg for b in report.balances}
    assert imbalance == {steel: 0.0, recycler: 4000.0}  # 10 t in − 0 out − 6 t held
    assert [b.process for b in report.unbalanced] == [recycler]
    # Two balances: steelworks g − s = 0 and recycler s − k = 0, residuals (0, 4000 kg), with
    # sd 200 kg for the registered g and the shipped s (2 % of 10 t) and 120 kg for the 6 t
    # held k. S = [[g² + s², −s²], [−s², s² + k²]] = [[80000, −40000], [−40000, 54400]],
    # det = 2.752e9, so chi² = 4000² × 80000 / det = 465.1 on 2 degrees of freedom.
    assert report.result.chi_square == pytest.approx(4000**2 * 80000 / 2.752e9)
    assert report.result.dof == 2
    assert not report.result.consistent
    flagged = {(c.flow.source, c.flow.target) for c in report.flagged}
    assert (steel, recycler) in flagged
    shipment = next(c for c in report.flagged if c.flow.target == recycler)
    assert shipment.flow.batch_ids == (code,)


def test_a_receipt_that_weighs_more_is_a_generation_at_the_receiver(db_session):
    _, recycler, _ = pids(db_session)
    code = register(db_session, "alice", "10", basis="estimated", event_time=noon(1, 10))
    ship(db_session, code, "alice", event_time=noon(1, 11))
    receive(db_session, code, "bob", "10.3", reason="estimate was low", event_time=noon(1, 12))
    data = records.custody_data(db_session, JANUARY)
    # The shipment carries the registration's basis (estimated), not the receipt's.
    assert rows(data)[1][-1] == "estimated"
    assert rows(data)[-1] == (code, "170405", 300.0, recycler, None, "generation", None,
                              "weighed")  # fmt: skip
    # 300 kg against an estimate with a 20 % standard deviation is no reason to flag anything.
    assert figures.reconciliation(data).result.consistent


def test_indicators_of_the_circular_history(db_session):
    steel, recycler, cement = pids(db_session)
    circular_history(db_session)
    data = records.custody_data(db_session, JANUARY)
    park = figures.indicators(data, figures.Scope())
    # Each tonne once: the R4 closing took 10 t and produced 9.2 t, counted at its own R5
    # closing, so R4 ended 0.8 t. Finally treated = 0.8 + 9.2 (R5) + 2 (D1) + 1 (R1) = 13 t;
    # recycled 0.8 + 9.2 = 10 t, the 10 t of scrap the steelworks made.
    assert park.rates.closed_kg["recycling"] == 19200.0
    assert park.rates.produced_kg["recycling"] == 9200.0
    assert park.rates.treated_kg == pytest.approx(13000.0)
    assert park.recycled_kg == pytest.approx(10000.0)
    assert park.rates.recycling_rate == pytest.approx(10 / 13)  # 0.7692
    assert park.rates.landfill_diversion_rate == pytest.approx(1 - 2 / 13)  # 0.8462
    # exchanges: steel -> recycler 10 t, recycler -> cement 9.2 t; waste leaving the
    # companies: those 19.2 t + 2 t landfilled + 1 t burnt = 22.2 t.
    assert park.symbiosis.exchanges == 2
    assert park.symbiosis.exchange_mass_kg == 19200.0
    assert park.symbiosis.companies_linked == 3
    assert park.symbiosis.waste_to_companies_share == pytest.approx(19200 / 22200)
    assert park.symbiosis.closed_loops == 0
    # circular outflow: steel 10 of 13 t recovered (scrap recycled; slag, fuel not),
    # recycler 19.2 of 19.2 t, cement 9.2 of 9.2 t. The park is one system summed over
    # batches: 13 t left its custody (the net closings above), 10 t of it by R2-R11; summing
    # the companies' 41.4 t would count the scrap at the steelworks, the recycler and cement.
    outflow = {row.process: row.circular for row in park.outflow}
    assert outflow == {steel: pytest.approx(10 / 13), recycler: 1.0, cement: 1.0}
    assert park.park_outflow.outflow_kg == pytest.approx(13000.0)
    assert park.outflow_share == pytest.approx(10 / 13)
    assert park.secondary_inflow_kg == 19200.0

    company = figures.indicators(data, figures.Scope(company=steel))
    # the steelworks closed 2 t by D1 and 1 t by R1: nothing recycled, 2 of 3 t landfilled
    assert company.rates.treated_kg == 3000.0
    assert company.rates.recycling_rate == 0.0
    assert company.rates.landfill_diversion_rate == pytest.approx(1 / 3)
    assert company.outflow_share == pytest.approx(10 / 13)
    assert company.secondary_inflow_kg == 0.0
    # its records: 3 registrations, the shipment out, 2 closings
    assert (park.records, company.records) == (10, 6)

    slag = figures.indicators(data, figures.Scope(material="100202"))
    assert (slag.rates.treated_kg, slag.rates.landfill_diversion_rate) == (2000.0, 0.0)
    # A material counts its closings less what they produced, whatever the outputs' material:
    # the scrap's R4 closing ended 10 − 9.2 = 0.8 t; the 9.2 t are 191202's, closed by R5.
    scrap = figures.indicators(data, figures.Scope(material="170405"))
    assert scrap.rates.by_fate_kg["recycling"] == pytest.approx(800.0)
    assert scrap.rates.produced_kg["recycling"] == 9200.0
    recyclate = figures.indicators(data, figures.Scope(material="191202"))
    assert recyclate.rates.by_fate_kg["recycling"] == 9200.0
    assert recyclate.rates.produced_kg["recycling"] == 0.0


def test_a_loop_is_counted(db_session):
    """Steel scrap to the recycler, its output back to the steelworks: one closed loop."""
    scrap = register(db_session, "alice", "5", event_time=noon(1, 10))
    ship(db_session, scrap, "alice", event_time=noon(1, 11))
    receive(db_session, scrap, "bob", "5", event_time=noon(1, 12))
    output = close(db_session, scrap, "bob", "R4", outputs=[("191202", "4", "t", "weighed")],
                   event_time=noon(1, 13)).batch_codes[1]  # fmt: skip
    ship(db_session, output, "bob", to="Steelworks", event_time=noon(1, 14))
    data = records.custody_data(db_session, JANUARY)
    park = figures.indicators(data, figures.Scope())
    steel, recycler, _ = pids(db_session)
    assert park.symbiosis.loops == (tuple(sorted((steel, recycler))),)
    diagram = figures.sankey(data, figures.Scope(), "company")
    assert any(p.circular for p in diagram.links)


def test_flow_batches_lists_exactly_the_batches_of_the_flow(db_session):
    steel, recycler, _ = pids(db_session)
    a = register(db_session, "alice", "3", event_time=noon(1, 10))
    b = register(db_session, "alice", "2", event_time=noon(1, 10))
    register(db_session, "alice", "7", event_time=noon(1, 10))  # stays at the steelworks
    for code in (a, b):
        ship(db_session, code, "alice", event_time=noon(1, 11))
    data = records.custody_data(db_session, JANUARY)
    detail = figures.flow_batches(db_session, data, steel, recycler)
    assert [(row.batch.code, row.mass_kg) for row in detail.batches] == [(a, 3000.0), (b, 2000.0)]
    assert detail.mass_kg == 5000.0


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2025-13-01", "", "start"), ("", "yesterday", "end"), ("2025-02-01", "2025-01-01", "end")],
)
def test_bad_periods_name_the_field(app, start, end, field):
    with app.test_request_context(), pytest.raises(InvalidInput) as error:
        records.parse_period(start, end)
    assert error.value.field == field


def test_default_period_is_the_last_90_days(app):
    with app.test_request_context():
        chosen = records.parse_period("", "", today=date(2025, 3, 31))
    assert (chosen.first, chosen.last) == (date(2025, 1, 1), date(2025, 3, 31))


def test_a_parks_own_uncertainty_table_is_used(app, db_session):
    """With every mass declared exact, a 4 t receipt discrepancy cannot be reconciled: the
    page says so instead of failing."""
    code = register(db_session, "alice", "10", event_time=noon(1, 10))
    ship(db_session, code, "alice", event_time=noon(1, 11))
    receive(db_session, code, "bob", "6", reason="half the load missing", event_time=noon(1, 12))
    app.config["UNCERTAINTY_RELATIVE_SD"] = {"weighed": 0.0, "estimated": 0.0}
    with app.test_request_context():
        data = records.custody_data(db_session, JANUARY)
        with pytest.raises(ServiceError, match="cannot be reconciled"):
            figures.reconciliation(data)
