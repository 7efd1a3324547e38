"""The indicators' counting rules (docs/methods.md, "Counting rules"), each on a park small
enough to recompute by hand, and the invariant behind "each tonne once" for any history.

The park (kg; times are day numbers): producer A makes 100 kg of scrap s1 and sends it to the
recycler R, which shreds it (R4) into 90 kg of recyclate s2 and 10 kg of residue s3. The steel
mill B melts the recyclate (R4); the residue goes to the landfill L (waste management), which
deposits it (D1). A also sends 40 kg of sludge s4 straight to L (D1).
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mfa.indicators import net_by_fate, park_outflow, park_rates, symbiosis
from mfa.model import CustodyRecord as R
from mfa.model import RecordTable, build_flows

RECORDS = [
    R("s1", "120101", 100.0, "A", None, 1, "generation"),
    R("s1", "120101", 100.0, "A", "R", 2, "shipment"),
    R("s1", "120101", 100.0, "R", None, 3, "closing", "R4"),
    R("s2", "191202", 90.0, "R", None, 3, "treatment", "R4"),
    R("s3", "191212", 10.0, "R", None, 3, "treatment", "R4"),
    R("s2", "191202", 90.0, "R", "B", 4, "shipment"),
    R("s2", "191202", 90.0, "B", None, 5, "closing", "R4"),
    R("s3", "191212", 10.0, "R", "L", 4, "shipment"),
    R("s3", "191212", 10.0, "L", None, 5, "closing", "D1"),
    R("s4", "190814", 40.0, "A", None, 1, "generation"),
    R("s4", "190814", 40.0, "A", "L", 2, "shipment"),
    R("s4", "190814", 40.0, "L", None, 3, "closing", "D1"),
]
TABLE = RecordTable(RECORDS)


def test_each_tonne_counts_once_in_the_recycling_rate():
    # Closed by R4: 100 (R) + 90 (B) = 190 kg, of which R's closing produced 90 + 10 = 100 kg
    # that are counted again where they are closed. Recycled = 190 − 100 = 90 kg; landfilled
    # 10 + 40 = 50 kg; finally treated 140 kg, the 140 kg A made. Rate 90 / 140 = 0.6429
    # (counting the recyclate twice would give 190 / 240 = 0.79).
    rates = park_rates(TABLE)
    assert rates.closed_kg["recycling"] == 190.0 and rates.produced_kg["recycling"] == 100.0
    assert rates.by_fate_kg["recycling"] == 90.0 and rates.by_fate_kg["landfill"] == 50.0
    assert rates.treated_kg == 140.0
    assert rates.recycling_rate == pytest.approx(90 / 140)
    assert rates.landfill_diversion_rate == pytest.approx(1 - 50 / 140)


def test_a_treatment_never_counts_below_nothing():
    assert net_by_fate({"recycling": 5.0}, {"recycling": 7.0})["recycling"] == 0.0


def test_deliveries_to_waste_management_are_not_exchanges():
    # Producing companies send away A->R 100 + A->L 40 + R->B 90 + R->L 10 = 240 kg; B's and
    # R's R4 closings are uses inside the park, and L's own closings were counted at the
    # deliveries to it. Exchanges between producing companies: A->R 100 and R->B 90 = 190 kg,
    # share 190 / 240 = 0.7917. Without kinds every delivery is an exchange: 240 kg in four
    # links, and L's 50 kg of closings come on top: 240 / 290.
    flows = build_flows(TABLE)
    s = symbiosis(flows, waste_management={"L"})
    assert (s.exchanges, s.exchange_mass_kg, s.companies_linked) == (2, 190.0, 3)
    assert s.waste_to_companies_share == pytest.approx(190 / 240)
    untyped = symbiosis(flows)
    assert (untyped.exchanges, untyped.exchange_mass_kg) == (4, 240.0)
    assert untyped.waste_to_companies_share == pytest.approx(240 / 290)


def test_the_park_outflow_is_a_sum_over_batches():
    # The park as one system: 140 kg left its custody (90 recycled at B, 50 landfilled at L),
    # 90 kg of it circular: 90 / 140. The companies' outflows sum to A 140 + R 100 (closing)
    # + R 100 (shipments) + B 90 + L 50 = 480 kg: each tonne at its sender and its receiver.
    park = park_outflow(TABLE)
    assert (park.outflow_kg, park.circular_kg) == (140.0, 90.0)
    assert park.share == pytest.approx(90 / 140)
    companies = sum(f.mass_kg for f in build_flows(TABLE) if f.source in {"A", "R", "B", "L"})
    assert companies == 480.0


ROUTE_CODES = ["R3", "R4", "R5", "R1", "D1", "D9", "D10", "R13"]


@st.composite
def histories(draw):
    """Batches generated, each closed or held; a closing's outputs (at most its mass) are new
    batches that are again closed or held, down a few generations."""
    records, held, generated = [], 0.0, 0.0
    todo = []
    for i in range(draw(st.integers(1, 6))):
        mass = float(draw(st.integers(1, 10_000)))
        generated += mass
        records.append(R(f"g{i}", "m", mass, "A", None, 1, "generation"))
        todo.append((f"g{i}", mass, 0))
    while todo:
        batch, mass, depth = todo.pop()
        if not draw(st.booleans()):
            held += mass
            continue
        code = draw(st.sampled_from(ROUTE_CODES))
        records.append(R(batch, "m", mass, "A", None, 2 + depth, "closing", code))
        if depth < 3:
            shares = draw(st.lists(st.integers(0, 100), max_size=3))
            left = mass
            for k, share in enumerate(shares):
                out = min(left, mass * share / 100)
                left -= out
                if out > 0:
                    name = f"{batch}.{k}"
                    records.append(R(name, "m", out, "A", None, 2 + depth, "treatment", code))
                    todo.append((name, out, depth + 1))
    return records, generated, held


@given(histories())
def test_every_tonne_ends_in_one_fate_or_is_still_held(history):
    records, generated, held = history
    rates = park_rates(RecordTable(records))
    assert sum(rates.by_fate_kg.values()) + held == pytest.approx(generated)
    assert 0 <= rates.recycling_rate <= 1 and rates.treated_kg <= generated + 1e-6
