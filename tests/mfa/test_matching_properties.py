"""On random small markets the engine's allocation is feasible and worth the LP optimum.

The reference recomputes eligibility pair by pair in plain Python, straight from the spec's
definitions, and solves the LP over every eligible pair with scipy's HiGHS: nothing is shared with
the engine's vectorised eligibility or its pricing loop.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from mfa.matching import eligible_pairs, match, parse_instance, solve


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def reference_pairs(data):
    """(offer index, demand index) -> net per tonne, for every eligible pair."""
    mats = data["materials"]
    pairs = {}
    for i, o in enumerate(data["offers"]):
        mat = mats[o["material"]]
        for j, d in enumerate(data["demands"]):
            if o["company"] == d["company"] or o["material"] not in d["accepts"]:
                continue
            if mat["hazardous"] and not d["hazardous_permit"]:
                continue
            km = data["road_circuity"] * haversine_km(o["lat"], o["lon"], d["lat"], d["lon"])
            if d["max_distance_km"] is not None and km > d["max_distance_km"]:
                continue
            net = mat["benefit_kgco2e_per_t"] - data["transport_kgco2e_per_tkm"] * km
            if net > 0:
                pairs[i, j] = net
    return pairs


def reference_optimum(data, pairs):
    if not pairs:
        return 0.0
    keys = list(pairs)
    n_o, n_d = len(data["offers"]), len(data["demands"])
    rows = [i for i, _ in keys] + [n_o + j for _, j in keys]
    cols = list(range(len(keys))) * 2
    a = sp.csc_array((np.ones(len(rows)), (rows, cols)), shape=(n_o + n_d, len(keys)))
    b = [o["tonnes"] for o in data["offers"]] + [d["tonnes"] for d in data["demands"]]
    res = linprog([-pairs[k] for k in keys], A_ub=a, b_ub=b, bounds=(0, None), method="highs")
    assert res.status == 0
    return -res.fun


@st.composite
def markets(draw):
    n_mat = draw(st.integers(1, 3))
    codes = [f"m{k}" for k in range(n_mat)]
    materials = {
        c: {
            "name": c,
            "hazardous": draw(st.booleans()),
            # Small benefits next to transport 1 kg/t.km over up to ~30 km, so that the
            # "transport outweighs the benefit" rule really decides some pairs.
            "benefit_kgco2e_per_t": draw(st.floats(1.0, 60.0)),
        }
        for c in codes
    }
    coord = st.floats(-0.1, 0.1)
    companies = st.sampled_from(["c0", "c1", "c2", "c3"])
    offers = [
        {"id": f"o{i}", "company": draw(companies), "material": draw(st.sampled_from(codes)),
         # Whole tonnes: the optimum is then a whole-tonne vertex, so rounding to kg is exact.
         "tonnes": draw(st.integers(1, 40)), "lat": draw(coord), "lon": draw(coord)}
        for i in range(draw(st.integers(0, 7)))
    ]  # fmt: skip
    demands = [
        {"id": f"d{j}", "company": draw(companies),
         "accepts": draw(st.lists(st.sampled_from(codes), min_size=1, max_size=3)),
         "tonnes": draw(st.integers(1, 40)), "lat": draw(coord), "lon": draw(coord),
         "max_distance_km": draw(st.none() | st.floats(0.0, 40.0)),
         "hazardous_permit": draw(st.booleans())}
        for j in range(draw(st.integers(0, 7)))
    ]  # fmt: skip
    return {
        "format": "circularity.match-instance/1",
        "transport_kgco2e_per_tkm": 1.0,
        "road_circuity": 1.3,
        "materials": materials,
        "offers": offers,
        "demands": demands,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=markets(), seed=st.integers(1, 3))
def test_allocation_is_feasible_and_optimal(data, seed):
    result = match(parse_instance(data), seed_per_node=seed).to_json()
    pairs = reference_pairs(data)
    index_o = {o["id"]: i for i, o in enumerate(data["offers"])}
    index_d = {d["id"]: j for j, d in enumerate(data["demands"])}
    sent = np.zeros(len(data["offers"]))
    taken = np.zeros(len(data["demands"]))
    for m in result["matches"]:
        i, j = index_o[m["offer"]], index_d[m["demand"]]
        assert (i, j) in pairs, "allocated to an ineligible pair"
        assert m["tonnes"] > 0
        assert m["net_kgco2e"] == pytest.approx(pairs[i, j] * m["tonnes"], abs=2e-3)
        sent[i] += m["tonnes"]
        taken[j] += m["tonnes"]
    assert np.all(sent <= [o["tonnes"] + 1e-9 for o in data["offers"]])
    assert np.all(taken <= [d["tonnes"] + 1e-9 for d in data["demands"]])
    optimum = reference_optimum(data, pairs)
    assert result["total_net_kgco2e"] == pytest.approx(optimum, rel=1e-6, abs=5e-3)

    # Every leftover is explained; "demand_filled" must be true: all its eligible demands full.
    left = {u["offer"]: u for u in result["unmatched"]}
    for i, o in enumerate(data["offers"]):
        rest = o["tonnes"] - sent[i]
        assert (rest > 1e-6) == (o["id"] in left)
        if o["id"] not in left:
            continue
        eligible = [j for (a, j) in pairs if a == i]
        if left[o["id"]]["reason"] == "demand_filled":
            assert eligible
            for j in eligible:
                assert taken[j] == pytest.approx(data["demands"][j]["tonnes"], abs=1e-6)
        else:
            assert not eligible


def reference_reason(data, i):
    """The first rule that every demand fails, replayed from the spec for offer i."""
    o = data["offers"][i]
    mat = data["materials"][o["material"]]
    demands = [d for d in data["demands"] if o["material"] in d["accepts"]]
    if not demands:
        return "no_demand"
    demands = [d for d in demands if d["company"] != o["company"]]
    if not demands:
        return "same_company_only"
    demands = [d for d in demands if not mat["hazardous"] or d["hazardous_permit"]]
    if not demands:
        return "hazardous_permit_missing"
    km = [
        data["road_circuity"] * haversine_km(o["lat"], o["lon"], d["lat"], d["lon"])
        for d in demands
    ]
    near = [k for d, k in zip(demands, km, strict=True)
            if d["max_distance_km"] is None or k <= d["max_distance_km"]]  # fmt: skip
    if not near:
        return "beyond_max_distance"
    if all(mat["benefit_kgco2e_per_t"] - data["transport_kgco2e_per_tkm"] * k <= 0 for k in near):
        return "transport_exceeds_benefit"
    return "demand_filled"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=markets())
def test_reasons_follow_the_rules_in_order(data):
    result = match(parse_instance(data)).to_json()
    index = {o["id"]: i for i, o in enumerate(data["offers"])}
    for u in result["unmatched"]:
        assert u["reason"] == reference_reason(data, index[u["offer"]])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=markets())
def test_network_highs_and_linprog_paths_agree(data):
    inst = parse_instance(data)
    market = eligible_pairs(inst, seed_per_node=1)
    cold = solve(market, inst.offer_tonnes, inst.demand_tonnes, method="linprog")
    for method in ("network", "highs"):
        warm = solve(market, inst.offer_tonnes, inst.demand_tonnes, method=method)
        assert warm.objective == pytest.approx(cold.objective, rel=1e-7, abs=1e-6)
        assert warm.objective <= warm.upper_bound * (1 + 1e-9) + 1e-9
        assert cold.objective <= warm.upper_bound * (1 + 1e-9) + 1e-6
