"""The compiled network simplex and pricer, checked against HiGHS on random transportation LPs.

The LP is built here from plain arrays (offers x demands, a random subset of pairs), so these
tests exercise the network code alone, including heavy ties (every pair worth the same), which
is where a network simplex could cycle if its leaving-arc rule were wrong.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from mfa.matching import network, pricing, solve
from mfa.matching.eligibility import Market
from mfa.matching.highs import SolverError

pytestmark = pytest.mark.skipif(not network.available(), reason="the C library was not built")


def random_market(seed, n_o, n_d, density, ties):
    rng = np.random.default_rng(seed)
    keep = rng.random((n_o, n_d)) < density
    offer, demand = np.nonzero(keep)
    net = rng.integers(1, 100, len(offer)).astype(float)
    if ties:
        net[:] = 50.0
    seed_pairs = rng.random(len(offer)) < 0.3
    market = Market(offer.astype(np.int32), demand.astype(np.int32), net, seed_pairs)
    supply = rng.integers(1, 20, n_o).astype(float)
    need = rng.integers(1, 20, n_d).astype(float)
    return market, supply, need


def lp_optimum(market, supply, need):
    n = market.n_pairs
    if n == 0:
        return 0.0
    n_o = len(supply)
    rows = np.concatenate([market.offer, n_o + market.demand])
    a = sp.csc_array((np.ones(2 * n), (rows, np.tile(np.arange(n), 2))),
                     shape=(n_o + len(need), n))  # fmt: skip
    res = linprog(-market.net_per_t, A_ub=a, b_ub=np.concatenate([supply, need]), method="highs")
    assert res.status == 0
    return -res.fun


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_o=st.integers(1, 25),
    n_d=st.integers(1, 25),
    density=st.sampled_from([0.1, 0.4, 1.0]),
    ties=st.booleans(),
)
def test_network_optimum_and_prices_match_the_lp(seed, n_o, n_d, density, ties):
    market, supply, need = random_market(seed, n_o, n_d, density, ties)
    alloc = solve(market, supply, need, method="network")
    assert alloc.objective == pytest.approx(lp_optimum(market, supply, need), rel=1e-9, abs=1e-9)
    # The allocation is feasible and the prices, raised to cover every pair, prove it optimal.
    assert (alloc.tonnes > 0).all()
    o, d = market.offer[alloc.pairs], market.demand[alloc.pairs]
    assert (np.bincount(o, alloc.tonnes, n_o) <= supply + 1e-9).all()
    assert (np.bincount(d, alloc.tonnes, n_d) <= need + 1e-9).all()
    assert alloc.upper_bound == pytest.approx(alloc.objective, rel=1e-7, abs=1e-6)


def test_network_lp_keeps_its_tree_across_rounds():
    # Two offers, one demand: the second round's better pair displaces the first's.
    lp = network.NetworkLP(np.array([5.0, 5.0, 5.0]), n_offers=2)
    lp.add(np.array([0]), np.array([2]), np.array([10.0]), np.array([5.0]))
    flow, price = lp.solve()
    assert flow.tolist() == [5.0] and price.tolist() == [0.0, 0.0, 10.0]
    lp.add(np.array([1]), np.array([2]), np.array([30.0]), np.array([5.0]))
    flow, price = lp.solve()
    assert flow.tolist() == [0.0, 5.0] and price.tolist() == [0.0, 0.0, 30.0]
    lp.delete(np.array([0]))
    assert lp.solve()[0].tolist() == [5.0]


def test_only_idle_pairs_can_leave_the_network():
    lp = network.NetworkLP(np.array([5.0, 5.0]), n_offers=1)
    lp.add(np.array([0]), np.array([1]), np.array([10.0]), np.array([5.0]))
    lp.solve()
    with pytest.raises(SolverError):
        lp.delete(np.array([0]))


def test_pivot_limit_falls_back_to_highs(monkeypatch):
    market, supply, need = random_market(7, 10, 10, 0.5, ties=False)
    expected = lp_optimum(market, supply, need)
    monkeypatch.setattr(network, "PIVOTS_PER_ELEMENT", 0)
    with pytest.raises(SolverError):
        lp = network.NetworkLP(np.concatenate([supply, need]), n_offers=10)
        lp.add(market.offer, market.demand + 10, market.net_per_t, np.ones(market.n_pairs))
        lp.solve()
    assert solve(market, supply, need).objective == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_compiled_and_numpy_pricers_agree(seed):
    market, supply, need = random_market(seed, 30, 40, 0.3, ties=False)
    rng = np.random.default_rng(seed)
    price = rng.uniform(0, 60, 70)
    in_lp = rng.random(market.n_pairs) < 0.2
    for per_node in (1, 2, 4):
        fast = pricing.CompiledPricer(market, 30, per_node, 1e-6)(price, in_lp)
        slow = pricing.NumpyPricer(market, 30, per_node, 1e-6)(price, in_lp)
        np.testing.assert_allclose(fast[0], slow[0])
        # Both pick every node's best violator; the numpy one may pick a different runner-up
        # for a demand whose best pairs an offer already took.
        reduced = market.net_per_t - price[market.offer] - price[30 + market.demand]
        reduced[in_lp] = -np.inf
        for side in (market.offer, market.demand):
            best = np.full(side.max() + 1, -np.inf)
            np.maximum.at(best, side, reduced)
            winners = np.flatnonzero((reduced == best[side]) & (reduced > 1e-6))
            assert np.isin(winners, fast[1]).all() and np.isin(winners, slow[1]).all()
