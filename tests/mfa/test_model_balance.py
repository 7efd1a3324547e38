"""Custody records become flows, a graph and balances; checked on the hand-made park."""

import math
import time

import pytest
from park_example import RECORDS

from mfa.balance import mass_balances, unbalanced
from mfa.errors import InputError, UnknownRouteError
from mfa.model import (
    CustodyRecord,
    RecordTable,
    Stock,
    aggregate,
    build_flows,
    flow_graph,
    to_flow_system,
)
from mfa.reconcile import reconcile


def by_id(flows):
    return {f.id: f for f in flows}


def test_company_flows():
    flows = by_id(build_flows(RECORDS, 1, 10))
    assert flows["A->B"].mass_kg == 100.0 and flows["A->B"].batch_ids == ("b1",)
    assert flows["generation->A"].mass_kg == 160.0  # 100 + 50 + 10
    assert flows["generation->A"].batch_ids == ("b1", "b2", "b6")
    assert flows["R->recycling"].mass_kg == 30.0  # 20 + 10 closed by R4
    assert flows["L->landfill"].mass_kg == 50.0
    assert flows["I->energy_recovery"].mass_kg == 30.0
    assert flows["transformation->R"].mass_kg == 18.0
    # sd: weighed 2 %, estimated 20 %, independent so they add in quadrature:
    # generation->A = sqrt(2² + 10² + 1²) (10 kg weighed: the 1 kg floor beats 0.2 kg)
    assert flows["generation->A"].sd_kg == pytest.approx(math.sqrt(4 + 100 + 1))
    assert flows["A->B"].period == "1/10"


def test_material_flows_and_aggregation():
    flows = build_flows(RECORDS, 1, 10, by="material")
    ids = by_id(flows)
    assert ids["generation->A:scrap"].mass_kg == 10.0
    assert ids["generation->A:slag"].mass_kg == 100.0
    company = by_id(aggregate(flows, by="company"))
    assert company["generation->A"].mass_kg == 160.0
    assert company["generation->A"].sd_kg == pytest.approx(math.sqrt(105))


def test_graph():
    g = flow_graph(build_flows(RECORDS, 1, 10, by="material"))
    assert g.nodes["landfill"]["kind"] == "boundary" and g.nodes["A"]["kind"] == "company"
    assert g.edges["A", "R", "scrap"]["mass_kg"] == 10.0


def test_balances_close_except_what_a_holds():
    # A: in 160 generated + 18 recyclate = 178, out 100 + 50 + 10 = 160: it holds 18 kg.
    flows = build_flows(RECORDS, 1, 10)
    balances = {b.process: b for b in mass_balances(flows)}
    assert balances["A"].inputs_kg == 178.0 and balances["A"].outputs_kg == 160.0
    assert balances["A"].imbalance_kg == 18.0
    assert set(balances["A"].batch_ids) == {"b1", "b2", "b5", "b6"}
    assert all(balances[p].imbalance_kg == 0 for p in "BLICR")
    assert [b.process for b in unbalanced(balances.values())] == ["A"]
    closed = mass_balances(flows, [Stock("A", "*", 18.0)])
    assert unbalanced(closed) == []


def test_by_material_balances():
    balances = mass_balances(build_flows(RECORDS, 1, 10, by="material"), by_material=True)
    a = {b.material: b for b in balances if b.process == "A"}
    assert a["recyclate"].imbalance_kg == 18.0 and a["slag"].imbalance_kg == 0.0


def test_flows_reconcile():
    flows = build_flows(RECORDS, 1, 10)
    result = reconcile(to_flow_system(flows, [Stock("A", "*", 18.0, 1.0)]))
    assert result.chi_square == pytest.approx(0.0, abs=1e-12)


def test_bad_records():
    with pytest.raises(UnknownRouteError) as info:
        RecordTable([CustodyRecord("x", "m", 1.0, "A", None, 0, "closing", "R99")])
    assert info.value.field == "route" and "batch x" in info.value.record
    with pytest.raises(InputError) as info:
        RecordTable([CustodyRecord("x", "m", 1.0, "A", None, 0, "teleport")])
    assert info.value.field == "kind"
    with pytest.raises(InputError):
        RecordTable([CustodyRecord("x", "m", -1.0, "A", "B", 0, "shipment")])
    with pytest.raises(InputError):
        build_flows([], by="colour")


def test_a_hundred_thousand_records_quickly():
    records = [
        CustodyRecord(f"b{i}", f"m{i % 7}", 1.0, f"c{i % 50}", f"c{(i * 7) % 50}", i, "shipment")
        for i in range(100_000)
    ]
    start = time.perf_counter()
    flows = build_flows(records, by="material")
    assert time.perf_counter() - start < 5
    assert sum(f.mass_kg for f in flows) == 100_000
