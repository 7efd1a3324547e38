"""Each indicator against a worked example a reader can recompute by hand, plus range checks."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from park_example import RECORDS

from mfa.errors import InputError
from mfa.indicators import (
    MCIInputs,
    circular_inflow,
    circular_material_use_rate,
    circular_outflow,
    company_mci,
    inflow_circularity,
    landfill_diversion_rate,
    material_circularity,
    outflow_circularity,
    park_circular_material_use,
    park_rates,
    recycling_rate,
    symbiosis,
)
from mfa.model import RecordTable, build_flows
from mfa.routes import ROUTES, Fate, route

TABLE = RecordTable(RECORDS, 1, 10)


def test_route_table():
    assert route("r4").fate is Fate.RECYCLING and route("D 1").fate is Fate.LANDFILL
    assert [c for c, r in ROUTES.items() if r.fate is Fate.LANDFILL] == ["D1", "D5", "D12"]
    assert route("R1").fate is Fate.ENERGY_RECOVERY and route("D10").fate is Fate.INCINERATION
    assert not route("R13").final and not route("D15").final and route("R11").circular
    assert len(ROUTES) == 28


def test_park_rates():
    # Closings: recycling b1 100 (R5) + b4 20 + b6 10 (R4) = 130; landfill b2 50 (D1);
    # energy recovery b3 30 (R1). Treated = 130 + 50 + 30 = 210.
    rates = park_rates(TABLE)
    assert rates.treated_kg == 210.0
    assert rates.by_fate_kg["recycling"] == 130.0
    assert rates.recycling_rate == pytest.approx(130 / 210)  # 0.619
    assert rates.landfill_diversion_rate == pytest.approx(1 - 50 / 210)  # 0.762


def test_circular_material_use():
    # U = 130 recycled, DMC = 870 virgin declared: 130 / (870 + 130) = 0.13
    assert park_circular_material_use(TABLE, 870.0) == pytest.approx(0.13)
    assert circular_material_use_rate(0.0, 0.0) == 0.0


def test_outflow_circularity():
    # A sends b1 100 (recycled at B: 1), b2 50 (landfilled: 0), b6 10 (recycled at R: 1):
    # (100 + 10) / 160 = 0.6875. R: closes 30 by R4 (1) and ships recyclate b5 18 (a treatment
    # output never closed: 1) -> 1. L closes 50 by D1 -> 0. B: closes 100 by R5 (1), ships
    # dust 30 burnt by R1 (0) -> 100 / 130.
    out = outflow_circularity(TABLE)
    assert out["A"] == pytest.approx(110 / 160)
    assert out["R"] == pytest.approx(1.0)
    assert out["L"] == 0.0
    assert out["B"] == pytest.approx(100 / 130)
    # With recovery potential 0.5 for slag, A: (0.5·100 + 10) / 160 = 0.375
    assert outflow_circularity(TABLE, {"slag": 0.5})["A"] == pytest.approx(60 / 160)


def test_inflow_circularity():
    # A receives the 18 kg of recyclate; declared total inflow 1000 kg, renewable 12 kg:
    # (18 + 12) / 1000 = 0.03
    got = inflow_circularity(TABLE, {"A": 1000.0, "Z": 10.0}, {"A": 12.0})
    assert got["A"] == pytest.approx(0.03) and got["Z"] == 0.0


def test_formula_functions():
    assert recycling_rate(30, 120) == 0.25
    assert landfill_diversion_rate(30, 120) == 0.75
    assert landfill_diversion_rate(0, 0) == 0.0
    assert circular_inflow(20, 5, 100) == 0.25
    # (10·1·1 + 30·0.5·1 + 60·1·0) / 100 = 0.25
    assert circular_outflow([(10, 1, 1), (30, 0.5, 1), (60, 1, 0)]) == pytest.approx(0.25)
    with pytest.raises(InputError):
        recycling_rate(130, 120)


def test_mci_worked_example():
    # M = 100, F_R = 0.5, C_R = 0.6, E_C = 0.8, E_F = 0.5, L/L_av = U/U_av = 1:
    # V = 100 (1 − 0.5) = 50;  W0 = 100 (1 − 0.6) = 40;  W_C = 100 (1 − 0.8) 0.6 = 12;
    # W_F = 100 (1 − 0.5) 0.5 / 0.5 = 50;  W = 40 + (50 + 12) / 2 = 71;
    # LFI = (50 + 71) / (200 + (50 − 12) / 2) = 121 / 219 = 0.55251;  F(X) = 0.9;
    # MCI = 1 − 0.55251 × 0.9 = 0.50274
    r = material_circularity(MCIInputs(100, 0.5, 0.0, 0.6, 0.0, 0.8, 0.5))
    assert (r.virgin, r.waste_unrecoverable) == (50, 40)
    assert r.waste_collection_recycling == pytest.approx(12)
    assert r.waste_feedstock_recycling == pytest.approx(50) and r.waste == pytest.approx(71)
    assert r.linear_flow_index == pytest.approx(121 / 219)
    assert r.mci == pytest.approx(1 - 0.9 * 121 / 219)
    # Fully linear product: LFI = 1, MCI = 1 − 0.9 = 0.1
    assert material_circularity(MCIInputs(5, 0, 0, 0, 0)).mci == pytest.approx(0.1)
    # Company: (100 · 0.5 + 300 · 0.1) / 400 = 0.2
    assert company_mci([(100, 0.5), (300, 0.1)]) == pytest.approx(0.2)
    with pytest.raises(InputError):
        material_circularity(MCIInputs(1, 0.7, 0.5, 0, 0))


def test_symbiosis():
    # Exchanges A->B 100, A->L 50, A->R 10, B->I 30, C->R 20, R->A 18 = 228 kg in 6 links
    # between 6 companies. Disposal: L->landfill 50, I->energy_recovery 30. Share = 228 / 308.
    # One closed loop: A -> R -> A.
    s = symbiosis(build_flows(TABLE))
    assert (s.exchanges, s.exchange_mass_kg, s.companies_linked) == (6, 228.0, 6)
    assert s.waste_to_companies_share == pytest.approx(228 / 308)
    assert s.closed_loops == 1 and s.loops == (("A", "R"),) and not s.loops_capped
    # With L (a landfill) and I (an incinerator) as waste management: exchanges A->B 100,
    # A->R 10, C->R 20, R->A 18 = 148 kg in 4 links; sent away by producing companies: A 160,
    # B 30, C 20, R 18 = 228 kg (L's and I's closings were counted at the deliveries to them).
    s = symbiosis(build_flows(TABLE), waste_management={"L", "I"})
    assert (s.exchanges, s.exchange_mass_kg, s.companies_linked) == (4, 148.0, 4)
    assert s.waste_to_companies_share == pytest.approx(148 / 228)
    assert s.loops == (("A", "R"),)


fraction = st.floats(0, 1)


@given(
    st.floats(0.1, 1e6), fraction, fraction, fraction, fraction, st.floats(0.01, 1),
    st.floats(0.01, 1), st.floats(0.1, 10), st.floats(0.1, 10),
)  # fmt: skip
def test_mci_stays_in_range(m, f_r, f_u, c_r, c_u, e_c, e_f, lifetime, intensity):
    f_u, c_u = f_u * (1 - f_r), c_u * (1 - c_r)
    r = material_circularity(
        MCIInputs(m, f_r, f_u, c_r, c_u, e_c, e_f, 0, 0, 0, lifetime, intensity)
    )
    assert 0 <= r.linear_flow_index <= 1 + 1e-12
    assert 0 <= r.mci <= 1


@given(st.lists(st.tuples(st.floats(0, 1e6), fraction, fraction), max_size=20))
def test_outflow_in_range(outflows):
    assert 0 <= circular_outflow(outflows) <= 1


@given(st.floats(0, 1e9), st.floats(0, 1e9))
def test_rates_in_range(a, b):
    part, whole = min(a, b), max(a, b)
    assert 0 <= recycling_rate(part, whole) <= 1
    assert 0 <= landfill_diversion_rate(part, whole) <= 1
    assert 0 <= circular_material_use_rate(a, b) <= 1
