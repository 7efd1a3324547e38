"""Matching runs from the database: the instance built from open listings, an optimum checked
by hand (where taking the best pair first would lose half the market), explanations for what
is left, accepting once, rejecting, roles, and no credit for a material without a factor."""

import json
import math
import re

import pytest
from sqlmodel import func, select

from circularity.models import Exchange, MatchRun, Proposal, ProposalDecision
from circularity.services.errors import Conflict, Forbidden
from circularity.services.market import benefits, listings, matching
from tests.helpers import company_id, demand, new_id, offer, person, post

# Iron and steel (17 04 05), as the ledger books a tonne of it: disposal avoided (landfill
# 8.98311 minus closed-loop 4.68568) plus DEFRA 2025 steel primary minus closed-loop source.
SCRAP = (8.98311 - 4.68568) + (2863.90131 - 1823.90131)
HGV = 0.10163  # DEFRA 2025 HGV (all diesel), all HGVs, average laden, kg CO2e per t.km
STEELWORKS, RECYCLER, CEMENT = (31.612, 121.182), (31.575, 121.152), (31.662, 121.241)


def road_km(a, b) -> float:
    """The spec's distance: 1.3 × haversine on a 6371 km sphere."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 1.3 * 2 * 6371.0 * math.asin(math.sqrt(h))


def run_url(client, response) -> str:
    """The run a matching job made: the POST answers with the job's page, which links to it
    once done (jobs run in the request in the tests)."""
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.search(r'<a href="([^"]+)" id="job-result">', page).group(1)


def test_the_factors_shipped_are_defras():
    assert benefits.benefit("170405").kgco2e_per_t == pytest.approx(SCRAP)
    assert benefits.transport().kgco2e_per_tkm == HGV
    assert benefits.benefit("100210").no_factor_reason == "unmapped"  # mill scale: no DEFRA row
    assert benefits.benefit("150103").no_factor_reason == "blank"  # wood: no closed-loop factor


def test_instance_built_from_the_database(db_session):
    """Open listings in tonnes per 30 days; a weekly offer is ×30/7, a lot counts whole;
    the withdrawn offer and the materials without a factor stay out of the instance."""
    steel, recycler = company_id(db_session, "Steelworks"), company_id(db_session, "Recycler")
    o1 = offer(db_session, tonnes="7", period="week")
    offer(db_session, who="carl", material="150103", tonnes="5", period="lot")
    offer(db_session, who="carl", material="100210", tonnes="60", period="month")
    gone = offer(db_session, tonnes="99")
    listings.withdraw(db_session, person(db_session, "alice"), "offer", gone.id)
    d1 = demand(db_session, accepts="170405, 150103, 100210", tonnes="8", max_distance_km="20")
    demand(db_session, who="carl", accepts="150103", tonnes="3")  # only a material without factor
    instance, excluded = matching.build_instance(db_session)
    assert instance == {
        "format": "circularity.match-instance/1",
        "transport_kgco2e_per_tkm": HGV,
        "road_circuity": 1.3,
        "materials": {
            "170405": {
                "name": "Iron and steel",
                "hazardous": False,
                "benefit_kgco2e_per_t": pytest.approx(SCRAP),
            },
        },
        "offers": [
            {
                "id": f"o{o1.id}",
                "company": f"c{steel}",
                "material": "170405",
                "tonnes": 30.0,
                "lat": 31.612,
                "lon": 121.182,
            },
        ],
        "demands": [
            {
                "id": f"d{d1.id}",
                "company": f"c{recycler}",
                "accepts": ["170405"],
                "tonnes": 8.0,
                "lat": 31.575,
                "lon": 121.152,
                "max_distance_km": 20.0,
                "hazardous_permit": False,
            },
        ],
    }
    assert [(e["material"], e["reason"], e["tonnes"]) for e in excluded] == [
        ("150103", "no_factor_blank", 5.0),
        ("100210", "no_factor_unmapped", 60.0),
    ]


def greedy_trap(db_session):
    """A (Steelworks) and B (Recycler) offer 10 t of scrap each. X (Cement, with a yard next to
    the steelworks) and Y (Recycler, at most 8 km) take 10 t each. The best single pair is A→X
    (0.2 km); taking it first leaves B→X full and B→Y same-company: 10 t matched. The optimum
    sends A→Y and B→X: 20 t."""
    a = offer(db_session, who="alice")
    b = offer(db_session, who="bob")
    x = demand(db_session, who="carl", tonnes="10", lat="31.613", lon="121.183")
    y = demand(db_session, who="bob", tonnes="10", max_distance_km="8")
    return a, b, x, y


def test_the_optimum_is_not_the_greedy_choice(db_session):
    a, b, x, y = greedy_trap(db_session)
    record = matching.run(db_session, person(db_session, "cora"), new_id())
    proposals = db_session.exec(select(Proposal).where(Proposal.run_id == record.id)).all()
    got = {(p.offer_id, p.demand_id): p for p in proposals}
    assert set(got) == {(a.id, y.id), (b.id, x.id)}
    ay, bx = road_km(STEELWORKS, RECYCLER), road_km(RECYCLER, (31.613, 121.183))
    assert ay < 8
    for (o, d), km in (((a.id, y.id), ay), ((b.id, x.id), bx)):
        p = got[(o, d)]
        assert p.mass_g == 10_000_000
        assert p.distance_km == pytest.approx(km, abs=1e-3)
        assert p.transport_kgco2e == pytest.approx(HGV * km * 10, abs=1e-3)
        assert p.net_kgco2e == pytest.approx(10 * (SCRAP - HGV * km), abs=1e-2)
    greedy = 10 * (SCRAP - HGV * road_km(STEELWORKS, (31.613, 121.183)))
    assert record.total_net_kgco2e == pytest.approx(
        10 * (SCRAP - HGV * ay) + 10 * (SCRAP - HGV * bx), abs=1e-2
    )
    assert record.total_net_kgco2e > 1.9 * greedy
    assert [p.rank for p in sorted(proposals, key=lambda p: -p.net_kgco2e)] == [1, 2]
    assert json.loads(record.explanations) == []
    assert "DEFRA" in record.factor_source and "2025" in record.factor_source


def test_run_page_explains_what_is_left_and_gives_no_guessed_credit(as_person, db_session):
    offer(db_session, who="alice", tonnes="10")
    offer(
        db_session, who="carl", material="100210", tonnes="60"
    )  # mill scale: no reviewed DEFRA material
    offer(db_session, who="carl", material="150103", tonnes="4")  # wood: DEFRA has no closed-loop
    demand(db_session, who="bob", accepts="170405, 100210, 150103", tonnes="6")
    client = as_person("cora")
    page = client.get("/market/overview").get_data(as_text=True)
    token = re.search(r'name="client_token" value="([^"]+)"', page).group(1)
    response = post(client, "/market/runs", {"client_token": token})
    assert response.status_code == 303
    again = post(client, "/market/runs", {"client_token": token})
    assert again.headers["Location"] == response.headers["Location"]
    html = client.get(run_url(client, response)).get_data(as_text=True)
    assert html.count('id="proposal-') == 1
    assert "10 10 02" not in re.search(r'<table id="proposals">.*?</table>', html, re.S).group(0)
    assert 'data-reason="no_factor_unmapped"' in html
    assert "has no reviewed DEFRA material, so no benefit factor" in html
    assert 'data-reason="no_factor_blank"' in html and "&#34;Wood&#34;" in html
    assert 'data-reason="demand_filled"' in html  # 4 t of the scrap find no room
    assert "0.10163 kg CO₂e per tonne.km" in html
    db_session.rollback()
    assert db_session.exec(select(func.count()).select_from(MatchRun)).one() == 1


def test_engine_reasons_are_shown(db_session):
    offer(db_session, who="alice", material="130205", tonnes="2")  # hazardous mineral oil
    demand(db_session, who="bob", accepts="130205", tonnes="5")  # no permit
    record = matching.run(db_session, person(db_session, "cora"), new_id())
    view = matching.get_run(db_session, record.id)
    (item,) = view.explanations
    assert item["reason"] == "hazardous_permit_missing"
    assert "is hazardous and no other company that accepts it holds a permit" in item["text"]
    assert item["company"] == "Steelworks"


def test_accepting_twice_agrees_one_exchange(as_person, db_session):
    a, b, x, y = greedy_trap(db_session)
    record = matching.run(db_session, person(db_session, "cora"), new_id())
    first = db_session.exec(
        select(Proposal).where(Proposal.run_id == record.id, Proposal.rank == 1)
    ).one()
    client = as_person("cora")
    responses = [
        post(client, f"/market/proposals/{first.id}/accept", {"run": record.id, "confirmed": "1"})
        for _ in range(2)
    ]
    assert [r.status_code for r in responses] == [303, 303]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    db_session.rollback()
    (exchange,) = db_session.exec(select(Exchange)).all()
    assert exchange.planned_g == first.mass_g and exchange.period_days == 30
    offer_row = db_session.get(type(a), first.offer_id)
    assert exchange.supplier_company_id == offer_row.company_id
    # The committed tonnes leave the market: a new run proposes only the other pair.
    second = matching.run(db_session, person(db_session, "cora"), new_id())
    left = db_session.exec(select(Proposal).where(Proposal.run_id == second.id)).all()
    assert [(p.offer_id, p.demand_id) for p in left] == [
        (p.offer_id, p.demand_id)
        for p in db_session.exec(
            select(Proposal).where(Proposal.run_id == record.id, Proposal.rank == 2)
        )
    ]
    # Once the second run's proposal is accepted, the first run's twin would over-commit.
    other = db_session.exec(select(Proposal).where(Proposal.run_id == second.id)).one()
    matching.decide(db_session, person(db_session, "cora"), other.id, "accepted")
    twin = db_session.exec(
        select(Proposal).where(Proposal.run_id == record.id, Proposal.rank == 2)
    ).one()
    with pytest.raises(Conflict):
        matching.decide(db_session, person(db_session, "cora"), twin.id, "accepted")


def test_reject_then_accept_is_refused(as_person, db_session):
    greedy_trap(db_session)
    record = matching.run(db_session, person(db_session, "cora"), new_id())
    p = db_session.exec(
        select(Proposal).where(Proposal.run_id == record.id, Proposal.rank == 1)
    ).one()
    client = as_person("cora")
    response = post(
        client, f"/market/proposals/{p.id}/reject", {"run": record.id, "confirmed": "1"}
    )
    assert response.status_code == 303
    response = post(
        client, f"/market/proposals/{p.id}/accept", {"run": record.id, "confirmed": "1"}
    )
    assert response.status_code == 409
    assert "already rejected" in response.get_data(as_text=True)
    db_session.rollback()
    assert db_session.exec(select(func.count()).select_from(Exchange)).one() == 0
    (decision,) = db_session.exec(select(ProposalDecision)).all()
    assert decision.decision == "rejected"


def test_the_record_of_a_run_cannot_be_rewritten(db_session):
    greedy_trap(db_session)
    record = matching.run(db_session, person(db_session, "cora"), new_id())
    p = db_session.exec(select(Proposal).where(Proposal.run_id == record.id)).first()
    p.mass_g = 1
    db_session.add(p)
    with pytest.raises(Exception, match="append-only"):
        db_session.commit()
    db_session.rollback()


def test_roles(as_person, db_session):
    greedy_trap(db_session)
    assert post(as_person("bob"), "/market/runs", {"client_token": new_id()}).status_code == 403
    assert post(as_person("mia"), "/market/runs", {"client_token": new_id()}).status_code == 403
    assert as_person("bob").get("/market/overview").status_code == 403
    for name in ("mia", "ada", "cora"):
        page = as_person(name).get("/market/overview")
        assert page.status_code == 200
        assert ("Run matching" in page.get_data(as_text=True)) == (name == "cora")
    with pytest.raises(Forbidden):
        matching.run(db_session, person(db_session, "mia"), new_id())
    cora = as_person("cora")
    shown = run_url(cora, post(cora, "/market/runs", {"client_token": new_id()}))
    assert as_person("mia").get(shown).status_code == 200
    assert as_person("alice").get(shown).status_code == 403
    db_session.rollback()
    p = db_session.exec(select(Proposal)).first()
    assert post(as_person("mia"), f"/market/proposals/{p.id}/accept").status_code == 403


def test_overview_by_material_and_company(as_person, db_session):
    offer(db_session, tonnes="7", period="week")
    demand(db_session, accepts="170405, 100210", tonnes="12", period="year")
    html = as_person("mia").get("/market/overview").get_data(as_text=True)
    table = re.search(r'<table id="by-material">.*?</table>', html, re.S).group(0)
    assert "<td>30.0</td><td>1.0</td>" in table  # 7 t/week = 30 t/30 days; 12 t/year = 1 t
    assert "no factor" in table
    assert "Steelworks" in re.search(r'<table id="by-company">.*?</table>', html, re.S).group(0)
