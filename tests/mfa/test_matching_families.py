"""On a small market of every benchmark family, the engine finds the LP optimum.

The benchmark's families (bench/match_families.py) each move one thing far from the market the
engine was first tuned on: 5 or 60 materials, broad or narrow acceptance, few or many demands
without a distance limit, spread-out companies, many hazardous materials, offers much larger
or much smaller than demands. Here each is drawn at the small scale (120 offers x 120 demands,
a corner of a park) from several fixed seeds; eligibility is recomputed pair by pair from the
spec's definitions and the whole LP solved by scipy's HiGHS, sharing nothing with the engine.
"""

import pytest

from bench.match_families import FAMILIES, SCALES, draw, family_seed
from mfa.matching import kernels, match, parse_instance, solve
from mfa.matching.eligibility import eligible_pairs
from tests.mfa.test_matching_properties import reference_optimum, reference_pairs

SEEDS = range(3)


@pytest.mark.parametrize("name", sorted(FAMILIES))
@pytest.mark.parametrize("seed", SEEDS)
def test_engine_reaches_the_lp_optimum_on_every_family(name, seed):
    data = draw(FAMILIES[name], SCALES["small"], family_seed(name, "small") + seed)
    pairs = reference_pairs(data)
    assert len(pairs) > 100, "a family's small market should still be a market"
    optimum = reference_optimum(data, pairs)
    result = match(parse_instance(data)).to_json()
    assert result["optimality"]["eligible_pairs"] == len(pairs)
    # Tonnes are rounded to the kilogram, which moves a few kg CO2e in millions.
    assert result["total_net_kgco2e"] == pytest.approx(optimum, rel=1e-6)
    assert result["optimality"]["upper_bound_kgco2e"] >= optimum * (1 - 1e-9)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_solver_path_agrees_on_every_family(name):
    data = draw(FAMILIES[name], SCALES["small"], family_seed(name, "small"))
    inst = parse_instance(data)
    market = eligible_pairs(inst)
    found = {
        method: solve(market, inst.offer_tonnes, inst.demand_tonnes, method=method).objective
        for method in ("network", "highs", "linprog")
    }
    assert found["highs"] == pytest.approx(found["network"], rel=1e-7)
    assert found["linprog"] == pytest.approx(found["network"], rel=1e-7)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_compiled_and_numpy_eligibility_agree(name, monkeypatch):
    inst = parse_instance(draw(FAMILIES[name], SCALES["small"], family_seed(name, "small")))
    compiled = eligible_pairs(inst)
    monkeypatch.setattr(kernels, "_LIB", None)
    plain = eligible_pairs(inst)
    assert compiled.offer.tolist() == plain.offer.tolist()
    assert compiled.demand.tolist() == plain.demand.tolist()
    # One rounding of arcsin apart at most: C's libm against numpy's own.
    assert compiled.net_per_t == pytest.approx(plain.net_per_t, rel=1e-12)
