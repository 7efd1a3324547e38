"""Reconciliation: hand-computed cases, then properties against the dense reference."""

import math

import numpy as np
import pytest
from dense_reconcile import dense_reconcile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import mfa.spd
from mfa.errors import ContradictionError, InputError
from mfa.reconcile import FlowInput, FlowSystem, StockInput, critical_value, reconcile


def system(flows, stocks=(), processes=("p",)):
    return FlowSystem(tuple(processes), tuple(FlowInput(*f) for f in flows), tuple(stocks))


def test_one_process_splits_the_difference():
    # 100 ± 10 in, 90 ± 10 out: equal weights, so each moves half of the 10 t gap -> 95 and 95.
    # sd: 10² − 10⁴/(10² + 10²) = 50, sqrt(50) = 7.07. chi² = 10² / 200 = 0.5 with 1 dof.
    r = reconcile(system([("in", None, "p", 100.0, 10.0), ("out", "p", None, 90.0, 10.0)]))
    assert r.flows["in"].value == pytest.approx(95.0)
    assert r.flows["out"].value == pytest.approx(95.0)
    assert r.flows["in"].sd == pytest.approx(math.sqrt(50))
    assert r.flows["in"].adjustment == pytest.approx(-5.0)
    assert r.chi_square == pytest.approx(0.5)
    assert r.dof == 1
    assert r.p_value == pytest.approx(0.4795, abs=1e-4)
    assert r.consistent
    # normalised adjustment: 5 / sqrt(100 − 50) = 0.707, not flagged
    assert r.flows["in"].test == pytest.approx(5 / math.sqrt(50))
    assert not r.flows["in"].flagged


def test_unmeasured_outflow_is_computed_from_the_balance():
    # 100 ± 10 in, 60 ± 5 out, the other outflow unknown: nothing to test, it takes 40.
    # sd of 40 = sqrt(10² + 5²) = 11.18 (difference of two independent measurements).
    r = reconcile(
        system(
            [
                ("in", None, "p", 100.0, 10.0),
                ("out", "p", None, 60.0, 5.0),
                ("rest", "p", "x", None),
            ]
        )
    )
    assert r.flows["rest"].value == pytest.approx(40.0)
    assert r.flows["rest"].sd == pytest.approx(math.sqrt(125))
    assert r.flows["rest"].measured is None and r.flows["rest"].adjustment is None
    assert r.flows["in"].value == 100.0
    assert r.dof == 0 and r.chi_square == 0 and r.p_value == 1 and r.consistent
    assert r.flows["in"].test is None


def test_exact_flow_never_moves():
    # in exact 100, out 90 ± 10: the whole 10 t goes to the measured outflow -> 100, sd 0.
    r = reconcile(system([("in", None, "p", 100.0, 0.0), ("out", "p", None, 90.0, 10.0)]))
    assert r.flows["in"].value == 100.0 and r.flows["in"].sd == 0.0
    assert r.flows["in"].adjustment == 0.0
    assert r.flows["out"].value == pytest.approx(100.0)
    assert r.flows["out"].sd == pytest.approx(0.0, abs=1e-9)
    # chi² = 10² / 10² = 1; test = 10 / sqrt(100 − 0) = 1.0
    assert r.chi_square == pytest.approx(1.0)
    assert r.flows["out"].test == pytest.approx(1.0)


def test_two_unmeasured_inflows_are_undetermined():
    # Only their sum is fixed (100); each is listed, not guessed. The measured outflow is not
    # redundant either, so it stays where it was.
    r = reconcile(
        system(
            [
                ("a", None, "p", None),
                ("b", "elsewhere", "p", None),
                ("out", "p", None, 100.0, 5.0),
            ]
        )
    )
    assert r.undetermined == (("flow", "a"), ("flow", "b"))
    assert r.flows["a"].value is None and r.flows["a"].sd is None
    assert r.flows["out"].value == 100.0 and r.dof == 0


def test_unmeasured_loop_between_two_processes_is_undetermined_but_the_exit_is_not():
    # p -> q and q -> p unmeasured form a cycle: any circulation fits. q's exit is a bridge to
    # the outside through the p-q group: it equals the 50 t that enter p.
    r = reconcile(
        system(
            [
                ("in", None, "p", 50.0, 1.0),
                ("pq", "p", "q", None),
                ("qp", "q", "p", None),
                ("exit", "q", None, None),
            ],
            processes=("p", "q"),
        )
    )
    assert {u[1] for u in r.undetermined} == {"pq", "qp"}
    assert r.flows["exit"].value == pytest.approx(50.0)
    assert r.flows["exit"].sd == pytest.approx(1.0)


def test_spec_example():
    # The spec's example (docs/reconcile-format.md). Eliminating the unmeasured f3 merges
    # steelworks and recycler: f1 − f2 − f6 − stock = 700 (f4 exact), residual
    # r1 = 1000 − 180 − 100 − 15 − 700 = 5; cement: f2 − f5 = 0, r2 = 180 − 172 = 8.
    # With variances 400, 81, 25, 4, 9: S = [[494, −81], [−81, 106]], det = 45,803,
    # λ = S⁻¹r = (1178, 4357) / 45,803, and x̂ = x − Σ Mᵀ λ.
    s = FlowSystem(
        ("steelworks", "cement", "recycler"),
        (
            FlowInput("f1", None, "steelworks", 1000.0, 20.0),
            FlowInput("f2", "steelworks", "cement", 180.0, 9.0),
            FlowInput("f3", "steelworks", "recycler", None),
            FlowInput("f4", "steelworks", None, 700.0, 0.0),
            FlowInput("f5", "cement", None, 172.0, 5.0),
            FlowInput("f6", "recycler", None, 100.0, 2.0),
        ),
        (StockInput("recycler", 15.0, 3.0),),
    )
    r = reconcile(s)
    det = 494 * 106 - 81 * 81
    lam1, lam2 = 1178 / det, 4357 / det
    assert r.flows["f1"].value == pytest.approx(1000 - 400 * lam1)  # 989.71
    assert r.flows["f2"].value == pytest.approx(180 - 81 * (lam2 - lam1))  # 174.38
    assert r.flows["f5"].value == pytest.approx(172 + 25 * lam2)  # 174.38
    assert r.flows["f6"].value == pytest.approx(100 + 4 * lam1)  # 100.10
    assert r.stocks["recycler"].value == pytest.approx(15 + 9 * lam1)  # 15.23
    assert r.flows["f3"].value == pytest.approx(115 + 13 * lam1)  # f6 + stock = 115.33
    assert r.flows["f4"].value == 700.0 and r.flows["f4"].sd == 0.0
    # sd of f1: sqrt(400 − 400² · 106 / det) = 5.45
    assert r.flows["f1"].sd == pytest.approx(math.sqrt(400 - 400**2 * 106 / det))
    assert r.chi_square == pytest.approx(5 * lam1 + 8 * lam2)  # 40,746 / 45,803 = 0.89
    assert r.dof == 2
    assert r.p_value == pytest.approx(math.exp(-r.chi_square / 2))  # χ²(2) tail: 0.64
    assert r.consistent
    # Five measured quantities are tested: z_c = Φ⁻¹(1 − α'/2), α' = 1 − 0.95^(1/5) = 0.01021.
    assert r.tested == 5
    assert r.critical_value == pytest.approx(2.5688, abs=1e-4)
    # f1's z: 10.29 / sqrt(400² · 106 / det) = 0.53; nothing is flagged.
    assert r.flows["f1"].test == pytest.approx(400 * lam1 / math.sqrt(400**2 * 106 / det))
    assert not any(e.flagged for e in [*r.flows.values(), *r.stocks.values()])


def test_one_tested_quantity_is_flagged_above_1_96():
    # Exact 100 in, 80 ± 10 out: the only tested quantity moves 20, z = 20 / 10 = 2.0.
    # One test: α' = α, so z_c = 1.96 and the outflow is flagged.
    r = reconcile(system([("in", None, "p", 100.0, 0.0), ("out", "p", None, 80.0, 10.0)]))
    assert r.tested == 1
    assert r.critical_value == pytest.approx(1.959964, abs=1e-6)
    assert r.flows["out"].test == pytest.approx(2.0)
    assert r.flows["out"].flagged


@pytest.mark.parametrize(("reported_out", "flagged"), [(70.0, False), (60.0, True)])
def test_two_tested_quantities_use_the_sidak_value(reported_out, flagged):
    # 100 ± 10 in, out ± 10: each moves half the gap; z = (gap / 2) / sqrt(100 − 50).
    # Two tests: α' = 1 − sqrt(0.95) = 0.02532, z_c = Φ⁻¹(1 − 0.01266) = 2.236.
    # A gap of 30 gives z = 2.12 (above 1.96, not above 2.236); a gap of 40 gives 2.83.
    r = reconcile(system([("in", None, "p", 100.0, 10.0), ("out", "p", None, reported_out, 10.0)]))
    gap = 100.0 - reported_out
    assert r.critical_value == pytest.approx(2.2365, abs=1e-4)
    assert r.flows["out"].test == pytest.approx(gap / 2 / math.sqrt(50))
    assert r.flows["in"].flagged is flagged and r.flows["out"].flagged is flagged


def test_nothing_tested_has_no_critical_value():
    r = reconcile(system([("in", None, "p", 100.0, 10.0), ("out", "p", "x", None)]))
    assert r.tested == 0 and r.critical_value is None


@pytest.mark.parametrize(
    ("m", "z_c"), [(1, 1.95996), (5, 2.56876), (1000, 4.04966), (50_000, 4.88661)]
)
def test_critical_value_by_number_of_tests(m, z_c):
    assert critical_value(m) == pytest.approx(z_c, abs=1e-5)


@given(st.integers(1, 10**6))
def test_critical_value_keeps_the_family_wise_rate(m):
    # Šidák: m independent two-sided tests at z_c together err with probability α.
    per_test = 2 * norm.sf(critical_value(m))
    assert 1 - (1 - per_test) ** m == pytest.approx(0.05, rel=1e-6)
    assert critical_value(m + 1) > critical_value(m)


def test_only_mass_units_are_accepted():
    with pytest.raises(InputError) as info:
        reconcile(FlowSystem(("p",), (FlowInput("f", None, "p", 1.0, 1.0),), unit="parsec"))
    assert info.value.field == "unit"


def test_exact_contradiction_is_reported_not_hidden():
    with pytest.raises(ContradictionError) as info:
        reconcile(system([("in", None, "p", 100.0, 0.0), ("out", "p", None, 90.0, 0.0)]))
    assert info.value.record == "process 'p'" and info.value.field == "balance"


@pytest.mark.parametrize(
    ("flows", "stocks", "record", "field"),
    [
        ([("f", None, "p", 1.0, 1.0), ("f", "p", None, 1.0, 1.0)], [], "flow 'f'", "id"),
        ([("f", "p", "p", 1.0, 1.0)], [], "flow 'f'", "to"),
        ([("f", None, "p", 1.0, -1.0)], [], "flow 'f'", "sd"),
        ([("f", None, "p", 1.0, None)], [], "flow 'f'", "sd"),
        ([("f", None, "p", math.nan, 1.0)], [], "flow 'f'", "value"),
        ([("f", None, "p", -1.0, 1.0)], [], "flow 'f'", "value"),
        ([("f", None, "p", 2e9, 1.0)], [], "flow 'f'", "value"),
        ([("f", None, "p", 1.0, 1e-12)], [], "flow 'f'", "sd"),
        ([], [StockInput("p", -2e9, 1.0)], "stock 'p'", "change"),
        ([], [StockInput("q", 1.0, 1.0)], "stock 'q'", "process"),
        ([], [StockInput("p", 1.0, 1.0), StockInput("p", 1.0, 1.0)], "stock 'p'", "process"),
    ],
)
def test_bad_input_names_record_and_field(flows, stocks, record, field):
    with pytest.raises(InputError) as info:
        reconcile(system(flows, stocks))
    assert (info.value.record, info.value.field) == (record, field)


# Random small systems: up to 5 processes, ends drawn from the processes, None and "outside".
ENDS = ["p0", "p1", "p2", "p3", "p4", None, "outside"]


@st.composite
def flow_systems(draw, consistent=False):
    n = draw(st.integers(1, 5))
    processes = tuple(f"p{i}" for i in range(n))
    ends = st.sampled_from([*processes, None, "outside"])
    n_flows = draw(st.integers(1, 10))
    flows = []
    for k in range(n_flows):
        source, target = draw(ends), draw(ends)
        if source is not None and source == target:
            target = None
        kind = draw(st.sampled_from(["measured", "measured", "measured", "exact", "unmeasured"]))
        value = round(draw(st.floats(0, 100)), 3) if kind != "unmeasured" else None
        sd = {"measured": draw(st.floats(0.5, 10)), "exact": 0.0, "unmeasured": None}[kind]
        flows.append(FlowInput(f"f{k}", source, target, value, sd))
    stocks = []
    for p in processes:
        kind = draw(st.sampled_from(["none", "measured", "exact", "unmeasured"]))
        if consistent or kind != "none":
            if consistent:
                kind = "measured"
            value = round(draw(st.floats(-50, 50)), 3) if kind != "unmeasured" else None
            sd = {"measured": draw(st.floats(0.5, 10)), "exact": 0.0, "unmeasured": None}[kind]
            stocks.append(StockInput(p, value, sd))
    return FlowSystem(processes, tuple(flows), tuple(stocks))


def _estimates(result, s):
    return [*(result.flows[f.id] for f in s.flows), *(result.stocks[t.process] for t in s.stocks)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow_systems())
def test_sparse_equals_dense_reference(s):
    check_against_reference(s)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow_systems())
def test_selected_inversion_route_equals_dense_reference(s):
    # Blocks this small normally take the dense inverse; force the sparse LDLᵀ route.
    saved = mfa.spd.DENSE_BELOW, mfa.spd.DENSE_FILL
    mfa.spd.DENSE_BELOW, mfa.spd.DENSE_FILL = 0, 1.0
    try:
        check_against_reference(s)
    finally:
        mfa.spd.DENSE_BELOW, mfa.spd.DENSE_FILL = saved


def check_against_reference(s):
    ref = dense_reconcile(s)
    if not ref["solvable"]:
        with pytest.raises(ContradictionError):
            reconcile(s)
        return
    r = reconcile(s)
    est = _estimates(r, s)
    measured = [e for e, m in zip(est, ref["measured"], strict=True) if m]
    np.testing.assert_allclose([e.value for e in measured], ref["x_hat"], atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose([e.sd for e in measured], ref["sd_hat"], atol=1e-5, rtol=1e-5)
    unmeasured = [e for e, m in zip(est, ref["unmeasured"], strict=True) if m]
    for e, y, sd, undet in zip(unmeasured, ref["y"], ref["sd_y"], ref["undetermined"], strict=True):
        assert (e.value is None) == bool(undet)
        if not undet:
            assert e.value == pytest.approx(y, abs=1e-6, rel=1e-6)
            assert e.sd == pytest.approx(sd, abs=1e-5, rel=1e-5)
    assert r.dof == ref["dof"]
    assert r.chi_square == pytest.approx(ref["chi_square"], abs=1e-6, rel=1e-6)
    tests = [e.test for e in est if e.test is not None]
    assert r.tested == len(tests) == sum(z is not None for z in ref["z"])
    for e, z in zip(measured, ref["z"], strict=True):
        assert (e.test is None) == (z is None)
        if z is not None:
            assert e.test == pytest.approx(z, abs=1e-6, rel=1e-6)
    assert r.critical_value == (critical_value(len(tests)) if tests else None)
    for e in est:
        assert e.flagged == (e.test is not None and e.test > r.critical_value)


@settings(max_examples=200, deadline=None)
@given(flow_systems())
def test_reconciled_values_satisfy_every_balance(s):
    try:
        r = reconcile(s)
    except ContradictionError:
        return
    est = _estimates(r, s)
    items = [*s.flows, *s.stocks]
    balance = {p: 0.0 for p in s.processes}
    size = {p: 0.0 for p in s.processes}
    blind = set()
    for item, e in zip(items, est, strict=True):
        if isinstance(item, StockInput):
            gains, loses = None, item.process
        else:
            gains, loses = item.target, item.source
        for p, sign in ((gains, 1.0), (loses, -1.0)):
            if p in balance:
                if e.value is None:
                    blind.add(p)
                else:
                    balance[p] += sign * e.value
                    size[p] += abs(e.value)
    for p in s.processes:
        if p not in blind:
            assert abs(balance[p]) <= 1e-9 * max(size[p], 1.0)


@settings(max_examples=100, deadline=None)
@given(flow_systems(consistent=True))
def test_consistent_data_are_left_alone(s):
    # Give every process a stock change that closes its balance exactly: nothing should move.
    residual = {p: 0.0 for p in s.processes}
    for f in s.flows:
        value = f.value if f.value is not None else 1.0
        if f.target in residual:
            residual[f.target] += value
        if f.source in residual:
            residual[f.source] -= value
    flows = tuple(
        FlowInput(f.id, f.source, f.target, 1.0, 0.5) if f.value is None else f for f in s.flows
    )
    stocks = tuple(StockInput(t.process, residual[t.process], t.sd) for t in s.stocks)
    r = reconcile(FlowSystem(s.processes, flows, stocks))
    for item, e in zip(
        [*flows, *stocks], _estimates(r, FlowSystem(s.processes, flows, stocks)), strict=True
    ):
        assert e.value == pytest.approx(item.value, abs=1e-9)
        assert not e.flagged
    assert r.chi_square == pytest.approx(0.0, abs=1e-12)
