"""Hand-solvable markets: the optimum, each eligibility rule, each explanation."""

import math

import numpy as np
import pytest
from matching_helpers import (
    KM_PER_TENTH_DEGREE,
    demand,
    flows,
    market,
    offer,
    reasons,
    run,
)


def test_spec_example_distance_and_net_follow_the_definitions():
    # The spec's example market: o1 (120 t iron and steel) and d1 (80 t, 50 km limit).
    data = {
        "format": "circularity.match-instance/1",
        "transport_kgco2e_per_tkm": 0.107,
        "road_circuity": 1.3,
        "materials": {
            "170405": {"name": "iron and steel", "hazardous": False, "benefit_kgco2e_per_t": 1520.0}
        },
        "offers": [
            {"id": "o1", "company": "c1", "material": "170405", "tonnes": 120.0,
             "lat": 31.52, "lon": 121.08},
        ],
        "demands": [
            {"id": "d1", "company": "c7", "accepts": ["170405", "120101"], "tonnes": 80.0,
             "lat": 31.60, "lon": 121.15, "max_distance_km": 50, "hazardous_permit": False},
        ],
    }  # fmt: skip
    # Haversine written out as the spec gives it, independently of the engine's chord form.
    p1, p2 = math.radians(31.52), math.radians(31.60)
    dl = math.radians(121.15 - 121.08)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 1.3 * 2 * 6371.0 * math.asin(math.sqrt(h))  # about 14.425 km
    result = run(data)
    [m] = result["matches"]
    assert (m["offer"], m["demand"], m["tonnes"]) == ("o1", "d1", 80.0)
    assert m["distance_km"] == pytest.approx(km, abs=1e-3)
    # 80 t x (1520 - 0.107 x 14.425) = 121,476.5 kg CO2e
    assert m["net_kgco2e"] == pytest.approx(80 * (1520 - 0.107 * km), abs=1e-3)
    assert result["total_net_kgco2e"] == m["net_kgco2e"]
    assert reasons(result) == {"o1": ("demand_filled", 40.0)}


def test_optimum_beats_greedy_by_best_pair():
    # A is worth 100 kg/t, B 90 kg/t; transport 1 kg/t.km. d2 sits 0.1 degree east (11.12 km).
    #   o1 (A, 10 t) -> d1: 100      o1 -> d2: 100 - 11.12 = 88.88      o2 (B, 10 t) -> d1: 90
    # Greedy takes the best pair o1 -> d1 (1,000) and then o2 has nowhere to go: 1,000 in all.
    # The optimum sends o1 to d2 and o2 to d1: 888.805 + 900 = 1,788.805.
    data = market(
        {"A": 100.0, "B": 90.0},
        [offer("o1", "c1", "A", 10), offer("o2", "c2", "B", 10)],
        [demand("d1", "c3", ["A", "B"], 10), demand("d2", "c4", ["A"], 10, lon=0.1)],
    )
    result = run(data)
    assert flows(result) == {("o1", "d2"): 10.0, ("o2", "d1"): 10.0}
    expected = 10 * (100 - KM_PER_TENTH_DEGREE) + 10 * 90
    assert result["total_net_kgco2e"] == pytest.approx(expected, abs=1e-3)
    assert result["unmatched"] == []


def test_split_offer_over_two_demands_by_value():
    # o1 has 30 t of A (benefit 50). d1 (here) wants 20 t, d2 (11.12 km) wants 20 t.
    # Nets per tonne: d1 50, d2 50 - 11.12 = 38.88. Fill d1 (20 t), the rest to d2 (10 t):
    # 20 x 50 + 10 x 38.8805 = 1,388.805.
    data = market(
        {"A": 50.0},
        [offer("o1", "c1", "A", 30)],
        [demand("d1", "c2", ["A"], 20), demand("d2", "c3", ["A"], 20, lon=0.1)],
    )
    result = run(data)
    assert flows(result) == {("o1", "d1"): 20.0, ("o1", "d2"): 10.0}
    assert result["total_net_kgco2e"] == pytest.approx(1000 + 10 * (50 - KM_PER_TENTH_DEGREE))


def test_more_valuable_material_wins_a_shared_demand():
    # d1 takes 10 t of either A (300 kg/t) or B (200 kg/t); both offers have 10 t.
    # Best: all of A, 3,000. B is left: the demand is filled by a better match.
    data = market(
        {"A": 300.0, "B": 200.0},
        [offer("oa", "c1", "A", 10), offer("ob", "c2", "B", 10)],
        [demand("d1", "c3", ["A", "B"], 10)],
    )
    result = run(data)
    assert flows(result) == {("oa", "d1"): 10.0}
    assert result["total_net_kgco2e"] == pytest.approx(3000.0)
    assert reasons(result) == {"ob": ("demand_filled", 10.0)}
    assert "filled" in result["unmatched"][0]["explanation"]


def test_same_company_never_exchanges():
    data = market({"A": 100.0}, [offer("o1", "c1", "A", 5)], [demand("d1", "c1", ["A"], 5)])
    result = run(data)
    assert result["matches"] == []
    assert result["total_net_kgco2e"] == 0
    assert reasons(result) == {"o1": ("same_company_only", 5.0)}


def test_material_must_be_accepted():
    data = market(
        {"A": 100.0, "B": 100.0}, [offer("o1", "c1", "A", 5)], [demand("d1", "c2", ["B"], 5)]
    )
    result = run(data)
    assert result["matches"] == []
    assert reasons(result) == {"o1": ("no_demand", 5.0)}
    assert "A (A)" in result["unmatched"][0]["explanation"]


@pytest.mark.parametrize(("permit", "matched"), [(False, False), (True, True)])
def test_hazardous_material_needs_a_permit(permit, matched):
    data = market(
        {"H*": (100.0, True)},
        [offer("o1", "c1", "H*", 5)],
        [demand("d1", "c2", ["H*"], 5, permit=permit)],
    )
    result = run(data)
    assert bool(result["matches"]) is matched
    if not matched:
        assert reasons(result) == {"o1": ("hazardous_permit_missing", 5.0)}


def test_hazardous_field_counts_not_the_asterisk():
    # "X*" is declared non-hazardous, so no permit is needed.
    data = market(
        {"X*": (100.0, False)}, [offer("o1", "c1", "X*", 5)], [demand("d1", "c2", ["X*"], 5)]
    )
    assert flows(run(data)) == {("o1", "d1"): 5.0}


@pytest.mark.parametrize(("max_km", "matched"), [(10.0, False), (11.2, True), (None, True)])
def test_maximum_distance(max_km, matched):
    # The receiver is 11.12 km away: a 10 km limit excludes it, 11.2 km or none admits it.
    data = market(
        {"A": 100.0}, [offer("o1", "c1", "A", 5)], [demand("d1", "c2", ["A"], 5, 0.1, max_km)]
    )
    result = run(data)
    assert bool(result["matches"]) is matched
    if not matched:
        assert reasons(result) == {"o1": ("beyond_max_distance", 5.0)}


@pytest.mark.parametrize(("benefit", "matched"), [(11.0, False), (11.2, True)])
def test_transport_must_not_outweigh_the_benefit(benefit, matched):
    # 11.12 km at 1 kg/t.km costs 11.12 kg/t: a benefit of 11.0 nets -0.12 (refused),
    # 11.2 nets +0.08 per tonne, 5 t -> 0.4026 kg.
    data = market(
        {"A": benefit}, [offer("o1", "c1", "A", 5)], [demand("d1", "c2", ["A"], 5, lon=0.1)]
    )
    result = run(data)
    if matched:
        assert result["total_net_kgco2e"] == pytest.approx(
            5 * (11.2 - KM_PER_TENTH_DEGREE), abs=1e-3
        )
    else:
        assert result["matches"] == []
        assert reasons(result) == {"o1": ("transport_exceeds_benefit", 5.0)}


def test_reason_is_the_first_rule_every_receiver_fails():
    # d1 is too far (limit 5 km at 11.12 km); d2 is near but belongs to the same company.
    # The company rule comes first, but d1 passes it, so the offer fails at the distance rule.
    data = market(
        {"A": 100.0},
        [offer("o1", "c1", "A", 5)],
        [demand("d1", "c2", ["A"], 5, 0.1, max_km=5.0), demand("d2", "c1", ["A"], 5)],
    )
    assert reasons(run(data)) == {"o1": ("beyond_max_distance", 5.0)}


def test_accepted_codes_outside_materials_are_ignored():
    # The spec's own example accepts "120101" without defining it; nothing can carry it.
    data = market({"A": 100.0}, [offer("o1", "c1", "A", 5)], [demand("d1", "c2", ["A", "Z"], 5)])
    assert flows(run(data)) == {("o1", "d1"): 5.0}


def test_optimality_certificate_is_reported():
    data = market(
        {"A": 100.0, "B": 90.0},
        [offer("o1", "c1", "A", 10), offer("o2", "c2", "B", 10)],
        [demand("d1", "c3", ["A", "B"], 10), demand("d2", "c4", ["A"], 10, lon=0.1)],
    )
    result = run(data, seed_per_node=1)
    bound = result["optimality"]["upper_bound_kgco2e"]
    assert bound == pytest.approx(result["total_net_kgco2e"], rel=1e-9)
    assert result["optimality"]["eligible_pairs"] == 3


def test_empty_market():
    result = run(market({"A": 1.0}, [], []))
    assert result["matches"] == [] and result["unmatched"] == []
    assert result["total_net_kgco2e"] == 0


def test_cold_lp_when_no_highs_class_is_importable(monkeypatch):
    import mfa.matching.highs as highs
    import mfa.matching.network as network

    monkeypatch.setattr(highs, "_highs_module", lambda: None)
    monkeypatch.setattr(network, "available", lambda: False)
    assert isinstance(highs.restricted_lp(np.ones(2)), highs.ColdLP)
    # The greedy trap again, solved through linprog only: 1,788.805 kg CO2e.
    data = market(
        {"A": 100.0, "B": 90.0},
        [offer("o1", "c1", "A", 10), offer("o2", "c2", "B", 10)],
        [demand("d1", "c3", ["A", "B"], 10), demand("d2", "c4", ["A"], 10, lon=0.1)],
    )
    expected = 10 * (100 - KM_PER_TENTH_DEGREE) + 10 * 90
    assert run(data)["total_net_kgco2e"] == pytest.approx(expected, abs=1e-3)


def test_warm_path_falls_back_when_the_private_interface_changes(monkeypatch):
    import mfa.matching.highs as highs
    import mfa.matching.network as network

    class Broken:
        def __init__(self, *args):
            raise AttributeError("setOptionValue")

    monkeypatch.setattr(highs, "WarmLP", Broken)
    monkeypatch.setattr(network, "available", lambda: False)
    data = market({"A": 100.0}, [offer("o1", "c1", "A", 5)], [demand("d1", "c2", ["A"], 5)])
    assert run(data)["total_net_kgco2e"] == pytest.approx(500.0)
