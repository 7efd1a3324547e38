"""Reconciliation: hand-computed cases, then properties against the dense reference."""

import math

import numpy as np
import pytest
from dense_reconcile import dense_reconcile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mfa.spd
from mfa.errors import ContradictionError, InputError
from mfa.reconcile import FlowInput, FlowSystem, StockInput, reconcile


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
    # The spec's example. cement receives f2 and sends nothing out, so its balance forces
    # f2 = 0 exactly (flagged: 180 / sqrt(81 − 0) = 20). steelworks + recycler, joined by the
    # unmeasured f3, give f1 − f2 − stock = 700 with f4 exact: residual 1000 − 15 − 700 = 285,
    # S = 20² + 3² = 409, f1 = 1000 − 400·285/409 = 721.27, stock = 15 + 9·285/409 = 21.27,
    # f3 = stock. chi² = 180²/81 + 285²/409 = 400 + 198.59 = 598.59 with 2 dof.
    s = FlowSystem(
        ("steelworks", "cement", "recycler"),
        (
            FlowInput("f1", None, "steelworks", 1000.0, 20.0),
            FlowInput("f2", "steelworks", "cement", 180.0, 9.0),
            FlowInput("f3", "steelworks", "recycler", None),
            FlowInput("f4", "steelworks", None, 700.0, 0.0),
        ),
        (StockInput("recycler", 15.0, 3.0),),
    )
    r = reconcile(s)
    assert r.flows["f1"].value == pytest.approx(1000 - 400 * 285 / 409)
    assert r.flows["f2"].value == pytest.approx(0.0, abs=1e-9)
    assert r.flows["f2"].test == pytest.approx(20.0)
    assert r.flows["f3"].value == pytest.approx(15 + 9 * 285 / 409)
    assert r.stocks["recycler"].value == pytest.approx(15 + 9 * 285 / 409)
    assert r.flows["f4"].value == 700.0
    assert r.chi_square == pytest.approx(400 + 285**2 / 409)
    assert r.dof == 2
    assert not r.consistent


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
