"""The dashboard's and the analysis pages' figures through the API are the pages' figures.

The park of these tests, recorded today:
- Steelworks registers batch A, 10 t of 17 04 05, and ships it to Recycler, which weighs
  10 t and recycles it (R4);
- Steelworks registers batch B, 2 t, and landfills it (D1).

So 12 t were registered and finally treated, 10 t recycled and 2 t landfilled: the recycling
rate is 10 / 12 = 83.3 %, the landfill diversion rate 1 − 2 / 12 = 83.3 %, 10 t were
exchanged between companies and the largest stream to landfill is Steelworks' 2 t.
"""

import pytest

from circularity.services.analysis import pages, records
from tests.helpers import close, company_id, receive, register, ship

TWELVE_T = 12_000_000  # grams


@pytest.fixture
def park(db_session):
    a = register(db_session, "alice", quantity="10")
    ship(db_session, a)
    receive(db_session, a, "bob", quantity="10")
    close(db_session, a, "bob", operation="R4")
    b = register(db_session, "alice", quantity="2")
    close(db_session, b, "alice", operation="D1")
    steel, recycler = company_id(db_session, "Steelworks"), company_id(db_session, "Recycler")
    return {"a": a, "b": b, "steel": steel, "recycler": recycler}


def test_the_dashboards_figures_are_the_pages(api, as_person, db_session, park):
    answer = api("mia", "read").get("/api/v1/dashboard")
    assert answer.status_code == 200, answer.get_json()
    board = answer.get_json()
    assert board["window"]["choice"] == "12m" and len(board["window"]["months"]) == 12
    figures = board["park"]
    assert figures["registered_g"] == figures["treated_g"] == TWELVE_T
    assert figures["by_fate_g"]["recycling"] == 10_000_000
    assert figures["by_fate_g"]["landfill"] == 2_000_000
    assert figures["exchanged_g"] == 10_000_000
    assert figures["recycling_rate"] == pytest.approx(10 / 12)
    assert figures["landfill_diversion_rate"] == pytest.approx(1 - 2 / 12)
    (stream,) = board["streams"]
    assert (stream["company"]["name"], stream["sink"], stream["mass_g"], stream["batches"]) == (
        "Steelworks",
        "landfill",
        2_000_000,
        1,
    )
    page = pages.dashboard_page(db_session, None)
    assert [(h["name"], h["value"], h["unit"]) for h in board["headline"]] == page.headline
    assert ("Recycling rate", "83.3", "%") in page.headline
    html = as_person("mia").get("/dashboard/").get_data(as_text=True)
    assert '<dd class="value">83.3 %</dd>' in html
    this_month = board["trend"][-1]
    assert this_month["treated_g"] == TWELVE_T and board["trend"][0]["treated_g"] == 0
    assert board["trend"][0]["recycling_rate"] is None  # a month without closings has no rate
    companies = {row["company"]["name"]: row for row in board["companies"]}
    assert companies["Recycler"]["received_g"] == 10_000_000
    assert companies["Steelworks"]["shipped_g"] == 10_000_000
    assert {s["figure"] for s in board["sources"]} >= {"recycling_rate", "carbon"}
    assert board["carbon"]["target_year"] == 2028


def test_the_analysis_figures_are_the_pages(api, db_session, park):
    answer = api("cora", "read").get("/api/v1/analysis")
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()
    rates = found["rates"]
    assert rates["treated_kg"] == 12_000.0 and rates["recycled_kg"] == 10_000.0
    assert rates["by_fate_kg"]["landfill"] == 2_000.0
    assert rates["recycling_rate"] == pytest.approx(10 / 12)
    assert found["secondary_inflow_kg"] == 10_000.0  # received by Recycler
    assert found["symbiosis"]["exchanges"] == 1 and found["symbiosis"]["companies_linked"] == 2
    page = pages.analysis_page(db_session, records.parse_period(None, None), None, None, None)
    assert found["records"] == page.figures.records
    assert found["outflow_share"] == pytest.approx(page.figures.outflow_share)
    shipped = [f for f in found["flows"] if f["target"] == f"c{park['recycler']}"]
    assert [(f["source_name"], f["mass_kg"], f["batches"]) for f in shipped] == [
        ("Steelworks", 10_000.0, 1)
    ]
    assert {n["figure"] for n in found["not_computed"]} == {
        "circular_material_use_rate",
        "circular_inflow",
        "material_circularity_indicator",
    }
    one = api("cora", "read").get(f"/api/v1/analysis?company={park['recycler']}").get_json()
    assert one["scope"]["company"]["name"] == "Recycler"
    assert one["rates"]["treated_kg"] == 10_000.0  # its own closing only


def test_a_flows_batches_and_the_reconciliation_are_the_pages(api, db_session, park):
    mia = api("mia", "read")
    source, target = f"c{park['steel']}", f"c{park['recycler']}"
    detail = mia.get(f"/api/v1/analysis/flow?source={source}&target={target}").get_json()
    assert detail["mass_kg"] == 10_000.0 and detail["total_batches"] == 1
    assert [b["batch"] for b in detail["batches"]] == [park["a"]]
    assert detail["source_name"] == "Steelworks" and detail["target_name"] == "Recycler"
    report = mia.get("/api/v1/analysis/reconcile").get_json()
    page = pages.reconcile_page(db_session, records.parse_period(None, None))
    assert report["consistent"] is page.report.result.consistent
    assert report["dof"] == page.report.result.dof
    assert len(report["flows"]) == len(page.report.flows)
    balances = {b["name"]: b for b in report["balances"]}
    # Recycler: 10 t in, 10 t closed, nothing held at the end
    assert balances["Recycler"]["inputs_kg"] == 10_000.0
    assert balances["Recycler"]["imbalance_kg"] == pytest.approx(0.0)


def test_the_figures_are_the_park_roles_and_bad_periods_name_their_field(api, park):
    for path in ("/api/v1/dashboard", "/api/v1/analysis", "/api/v1/analysis/reconcile"):
        refused = api("alice", "read").get(path)
        assert refused.status_code == 403, path
    mia = api("mia", "read")
    cases = [
        ("/api/v1/dashboard?period=1999", 422, "period"),
        ("/api/v1/analysis?start=2026-13-01", 422, "start"),
        ("/api/v1/analysis?start=2026-05-02&end=2026-05-01", 422, "end"),
        ("/api/v1/analysis?company=999", 404, "company"),
        ("/api/v1/analysis?company=1&material=170405", 422, "material"),
        ("/api/v1/analysis?by=colour", 422, "by"),
        ("/api/v1/analysis/flow?source=c1&target=nowhere", 404, "source"),
        ("/api/v1/analysis/flow?target=c1", 422, "source"),
    ]
    for path, status, field in cases:
        answer = mia.get(path)
        assert answer.status_code == status, (path, answer.get_json())
        problem = answer.get_json()
        assert answer.content_type == "application/problem+json"
        assert problem["field"] == field and problem["label"], (path, problem)
