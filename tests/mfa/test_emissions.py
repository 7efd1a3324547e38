"""The crediting rule against examples a reader can recompute on paper, one per route.

Factors are DEFRA 2025's (kg CO2e per tonne; freight HGV all diesel, average laden, 0.10163
kg CO2e per tonne.km) unless a line says otherwise.
"""

import pint
import pytest

from mfa.emissions import (
    ANAEROBIC_DIGESTION,
    COMPOSTING,
    CREDIT_ROUTES,
    ENERGY_RECOVERY,
    FREIGHT,
    PRODUCTION,
    RECYCLING,
    REUSE,
    SHORT_TON_T,
    Closing,
    CreditInputs,
    Custody,
    chain_distance,
    counted_share,
    credit,
    credit_route,
    credited_mass,
    factor_beyond,
    fossil_co2_kg_per_t,
    path_value,
    to_canonical,
)
from mfa.errors import InputError

HGV = 0.10163


def test_recycling_scrap_metal():
    # 10 t of scrap metal recycled instead of landfilled, carried 12.5 km:
    # disposal   10 × (8.98311 − 4.68568)            =    42.9743
    # production 10 × 1 × (3473.11953 − 1706.42359) = 17666.9594
    # transport  10 × 12.5 × 0.10163                 =    12.70375
    inputs = CreditInputs(
        10, RECYCLING, "landfill", 8.98311, 4.68568, 1.0, 3473.11953, 1706.42359, 12.5, HGV
    )
    result = credit(inputs)
    assert result.disposal_kg == pytest.approx(42.9743)
    assert result.production_kg == pytest.approx(17666.9594)
    assert result.transport_kg == pytest.approx(12.70375)
    assert result.total_kg == pytest.approx(17697.22995)


def test_composting_food_waste_claims_no_production():
    # 4 t of food waste composted instead of landfilled, carried 20 km:
    # disposal 4 × (700.30886 − 8.98311) = 2765.303; transport 4 × 20 × 0.10163 = 8.1304.
    # A primary factor passed by mistake is ignored: compost replaces no priced material.
    inputs = CreditInputs(4, COMPOSTING, "landfill", 700.30886, 8.98311, 1.0, 999.0, 0.0, 20, HGV)
    result = credit(inputs)
    assert result.production_kg == 0
    assert result.total_kg == pytest.approx(2765.303 - 8.1304)


def test_anaerobic_digestion_garden_waste_without_transport():
    # 2 t of garden waste digested on site: 2 × (646.70557 − 8.98311) = 1275.44492.
    inputs = CreditInputs(2, ANAEROBIC_DIGESTION, "landfill", 646.70557, 8.98311)
    assert credit(inputs).total_kg == pytest.approx(1275.44492)


def test_energy_recovery_is_never_a_credit_route():
    assert credit_route("R1") is None
    assert ENERGY_RECOVERY not in CREDIT_ROUTES


def test_fossil_co2_of_burning_by_hand():
    # IPCC 2006: plastics dm 1.00, CF 0.75, FCF 1.00, OF 1: 1000 × 0.75 × 44/12 = 2750 kg/t;
    # paper dm 0.90, CF 0.46, FCF 0.01: 1000 × 0.9 × 0.46 × 0.01 × 44/12 = 15.18 kg/t.
    assert fossil_co2_kg_per_t(1.0, 0.75, 1.0) == pytest.approx(2750.0)
    assert fossil_co2_kg_per_t(0.9, 0.46, 0.01) == pytest.approx(15.18)


@pytest.mark.parametrize(
    ("value", "kind", "verdict"),
    [
        (1766.7, "production", None),
        (60_000, "production", "held"),
        (1e300 / 1000, "freight", "refused"),
        (4.6, "freight", None),
        (6.0, "freight", "held"),
        (2e6, "disposal", "refused"),
    ],
)
def test_factor_bounds(value, kind, verdict):
    assert factor_beyond(value, kind) == verdict


def test_a_factor_beyond_any_material_is_refused_by_the_rule():
    # 1e300 g CO2e/t.km is 1e297 kg: it would make every credit about -1e299 t.
    with pytest.raises(InputError):
        credit(CreditInputs(1, RECYCLING, "landfill", 8.98, 4.69, 1.0, 2863.9, 1823.9, 5, 1e297))


# The custody graphs of the four credit cases. Batch 1: 10 t of scrap closed by a recycler
# (R4) into outputs 2 (9 t) and 3 (0.5 t); 0.5 t is lost in the treatment.
def _graph(end_2, end_3):
    closings = {1: Closing("R4", 10.0, (2, 3))}
    open_t = {}
    for batch, (kind, mass) in ((2, end_2), (3, end_3)):
        if kind == "open":
            open_t[batch] = mass
        else:
            closings[batch] = Closing(kind, mass)
    children = {1: [(2, 1.0), (3, 1.0)]}
    parents = {2: [(1, 1.0, True)], 3: [(1, 1.0, True)]}
    return Custody(closings, open_t, children, parents)


def test_case_recycled_outputs_are_credited():
    # 9 t remelted (R4, no outputs) + 0.5 t landfilled: 9 t reached final recycling.
    fate = credited_mass(1, _graph(("R4", 9.0), ("D1", 0.5)))
    assert (fate.final_t, fate.pending_t, fate.provisional) == (9.0, 0.0, False)


def test_case_burnt_outputs_are_not_credited():
    # Both outputs burnt (R1 and D10): nothing reached final recycling.
    fate = credited_mass(1, _graph(("R1", 9.0), ("D10", 0.5)))
    assert (fate.final_t, fate.pending_t) == (0.0, 0.0)


def test_case_outputs_still_held_are_pending():
    # 9 t still held, 0.5 t remelted: 0.5 t final, 9 t pending, so the credit is provisional.
    fate = credited_mass(1, _graph(("open", 9.0), ("R4", 0.5)))
    assert (fate.final_t, fate.pending_t, fate.provisional) == (0.5, 9.0, True)


def test_case_a_second_recycling_is_credited_once():
    # Output 2 (9 t) is remelted by R4: it is part of batch 1's credit (9 t), and batch 2,
    # made by a circular closing, is wholly counted there already.
    custody = _graph(("R4", 9.0), ("D1", 0.5))
    assert credited_mass(1, custody).final_t == 9.0
    assert counted_share(2, custody) == 1.0
    assert counted_share(1, custody) == 0.0


def test_a_merge_of_recyclate_and_fresh_waste_is_counted_in_the_recyclate_share():
    # Batch 2 (9 t recyclate of batch 1) merged with fresh batch 4 (3 t) into batch 5 (12 t):
    # 9/12 of batch 5 was counted at batch 1's closing, 3/12 was not.
    custody = _graph(("open", 0.0), ("D1", 0.5))
    custody.parents[5] = [(2, 0.75, False), (4, 0.25, False)]
    assert counted_share(5, custody) == pytest.approx(0.75)


def test_reuse_with_a_substitution_factor():
    # 1 t of clothing re-used, 8 km. DEFRA gives no re-use disposal factor: this example
    # takes 0 from a local set. s = 0.6 (an example value: 6 of 10 re-used garments replace
    # a new one). production 1 × 0.6 × (22310 − 152.25) = 13294.65; disposal 496.78228;
    # transport 1 × 8 × 0.10163 = 0.81304.
    inputs = CreditInputs(1, REUSE, "landfill", 496.78228, 0.0, 0.6, 22310, 152.25, 8, HGV)
    assert credit(inputs).total_kg == pytest.approx(496.78228 + 13294.65 - 0.81304)


def test_transport_can_make_a_credit_negative():
    # 1 t of aggregates recycled 500 km away: 1 × (1.26338 − 1.00835) + 1 × (7.79306 −
    # 3.21835) − 1 × 500 × 0.10163 = 0.25503 + 4.57471 − 50.815 = −45.98526.
    inputs = CreditInputs(
        1, RECYCLING, "landfill", 1.26338, 1.00835, 1.0, 7.79306, 3.21835, 500, HGV
    )
    assert credit(inputs).total_kg == pytest.approx(-45.98526)


@pytest.mark.parametrize(
    ("operation", "outputs", "expected"),
    [
        ("R4", (), RECYCLING),
        ("R5", ("170504",), RECYCLING),
        ("R3", (), RECYCLING),
        ("R3", ("190606",), ANAEROBIC_DIGESTION),
        ("R3", ("190503",), COMPOSTING),
        ("R13", (), None),
        ("R12", (), None),
        ("D1", (), None),
        ("D10", (), None),
    ],
)
def test_credit_route_of_a_closing(operation, outputs, expected):
    assert credit_route(operation, outputs) == expected


@pytest.mark.parametrize(
    ("field", "value"), [("substitution", 1.2), ("mass_t", -1.0), ("ef_freight", float("nan"))]
)
def test_impossible_inputs_are_refused(field, value):
    values = dict(mass_t=1, route=RECYCLING, baseline="landfill", ef_baseline=1, ef_route=1)
    values[field] = value
    with pytest.raises(InputError, match=field):
        credit(CreditInputs(**values))


def test_short_ton_conversion_of_epa_factors():
    # EPA: 0.58 metric t CO2e per short ton of food waste landfilled = 580 kg per 907.18474 kg
    # = 639.3406 kg CO2e per metric tonne. pint agrees on the short ton.
    assert pytest.approx(pint.UnitRegistry()("short_ton").to("t").magnitude) == SHORT_TON_T
    assert to_canonical(0.58, "t CO2e/short ton", PRODUCTION) == pytest.approx(639.3406, abs=1e-4)
    assert to_canonical(101.63, "g CO2e/t.km", FREIGHT) == pytest.approx(0.10163)
    with pytest.raises(InputError, match="unit"):
        to_canonical(1, "lb CO2e/t", PRODUCTION)


def test_chain_distance_follows_splits_and_merges():
    # A (20 t) shipped 10 km (seq 2); part B (5 t) split off at seq 4; A shipped 30 km at seq 5,
    # after B left, so B does not carry it; B shipped 7 km (seq 6). C (15 t) shipped 40 km
    # (seq 3). M merges B and C at seq 8 and is shipped 2 km (seq 9). An average tonne of M
    # travelled 2 + 5/20 × (7 + 10) + 15/20 × 40 = 36.25 km.
    shipments = {"A": [(2, 10.0), (5, 30.0)], "B": [(6, 7.0)], "C": [(3, 40.0)], "M": [(9, 2.0)]}
    origins = {"B": (4, [("A", 5.0)]), "M": (8, [("B", 5.0), ("C", 15.0)])}
    assert chain_distance("M", shipments, origins) == pytest.approx(36.25)
    assert chain_distance("B", shipments, origins) == pytest.approx(17.0)
    assert chain_distance("A", shipments, origins) == pytest.approx(40.0)


def test_path_is_a_straight_line_to_zero_in_the_target_year():
    # Baseline 2024: 100 kt. Target 2028. 2026 is half way: 50 kt; 2028 and after: 0.
    assert [path_value(2024, 100.0, 2028, y) for y in (2024, 2025, 2026, 2027, 2028, 2030)] == [
        100.0,
        75.0,
        50.0,
        25.0,
        0.0,
        0.0,
    ]
    with pytest.raises(InputError):
        path_value(2028, 100.0, 2028, 2028)
    with pytest.raises(InputError):
        path_value(2024, 100.0, 2028, 2023)
