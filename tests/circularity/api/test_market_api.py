"""The market through the API: offers and demands listed with a token are the ones the market
pages show, a matching run started with one is the run its page shows, and the pages' role
and company rules hold (staff list, the coordinator matches and decides, the park watches).

The small market of these tests: Steelworks offers 10 t of 17 04 05 (iron and steel) a month,
Recycler takes up to 8 t a month. Matching proposes 8 t; 2 t stay unmatched.
"""

from sqlmodel import func, select

from circularity.models import Exchange, Offer
from circularity.services.market import benefits, matching
from circularity.services.market import pages as market_pages
from tests.helpers import person

OFFER = {"material": "17 04 05", "tonnes": 10, "period": "month", "quality": "sorted"}
DEMAND = {"accepts": ["170405"], "tonnes": "8", "period": "month"}


def count(session, model) -> int:
    session.rollback()  # a fresh snapshot: the API wrote through its own session
    return session.exec(select(func.count()).select_from(model)).one()


def market(api):
    alice, bob = api("alice"), api("bob")
    offer = alice.post("/api/v1/offers", OFFER)
    demand = bob.post("/api/v1/demands", DEMAND)
    assert offer.status_code == 201, offer.get_json()
    assert demand.status_code == 201, demand.get_json()
    return offer.get_json(), demand.get_json()


def test_a_listing_made_through_the_api_is_the_one_the_market_page_shows(api, db_session):
    offer, demand = market(api)
    assert offer["mass_g"] == 10_000_000 and offer["period"] == "month"
    assert offer["period_days"] == 30 and offer["material"]["code"] == "170405"
    assert offer["factor"]["kgco2e_per_t"] == benefits.benefit("170405").kgco2e_per_t
    assert demand["accepts"][0]["display_code"] == "17 04 05"
    page = market_pages.company_market(db_session, person(db_session, "alice"))
    assert [row.offer.id for row in page.offers] == [offer["id"]]
    listed = api("anna", "read").get("/api/v1/offers").get_json()  # a colleague reads it
    assert listed["total"] == 1 and listed["items"][0] == offer
    assert api("carl").get("/api/v1/offers").get_json() == {"items": [], "total": 0}
    assert api("bob").get("/api/v1/demands").get_json()["items"] == [demand]


def test_the_overview_counts_tonnes_per_30_days_as_its_page_does(api, as_person):
    market(api)
    overview = api("mia", "read").get("/api/v1/market")
    assert overview.status_code == 200
    (steel,) = overview.get_json()["by_material"]
    # 10 t per 30 days offered, 8 t per 30 days wanted
    assert (steel["supply_t"], steel["demand_t"], steel["offers"], steel["demands"]) == (
        10.0,
        8.0,
        1,
        1,
    )
    html = as_person("mia").get("/market/overview").get_data(as_text=True)
    assert "<td>10.0</td><td>8.0</td><td>1</td><td>1</td>" in html


def test_a_run_matches_what_its_page_shows_and_the_coordinator_decides(api, db_session):
    offer, demand = market(api)
    cora = api("cora")
    started = cora.post("/api/v1/runs")
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert job["url"] == f"/api/v1/jobs/{job['id']}" and job["kind"] == "matching"
    # The tests run jobs in the request, so the job is done when the POST answers.
    assert cora.get(job["url"]).get_json() == job
    assert (job["status"], job["progress"], job["error"]) == ("done", 100, None)
    assert job["result"]["kind"] == "run"
    run = cora.get(job["result"]["url"]).get_json()
    assert job["result"]["url"] == f"/api/v1/runs/{run['id']}"
    (proposal,) = run["proposals"]
    assert (proposal["offer"], proposal["demand"]) == (offer["id"], demand["id"])
    assert proposal["mass_g"] == 8_000_000  # all Recycler takes
    assert (proposal["supplier"], proposal["receiver"]) == ("Steelworks", "Recycler")
    # net = benefit per tonne × 8 t − transport, which the engine rounds to the gram of CO2e
    net = proposal["benefit_kgco2e_per_t"] * 8 - proposal["transport_kgco2e"]
    assert abs(proposal["net_kgco2e"] - net) <= 0.0005
    assert run["total_net_kgco2e"] == proposal["net_kgco2e"]
    (left,) = run["unmatched"]
    assert (left["offer"], left["mass_g"], left["company"]) == (
        offer["id"],
        2_000_000,
        "Steelworks",
    )
    view = matching.get_run(db_session, run["id"])
    assert [p.proposal.id for p in view.proposals] == [proposal["id"]]
    assert api("mia", "read").get(f"/api/v1/runs/{run['id']}").get_json() == run
    assert api("mia", "read").get("/api/v1/runs").get_json()["items"][0]["id"] == run["id"]

    accepted = cora.post(f"/api/v1/proposals/{proposal['id']}/accept")
    assert accepted.status_code == 201, accepted.get_json()
    exchange = accepted.get_json()["exchange"]
    assert exchange["planned_g"] == 8_000_000 and exchange["period_days"] == 30
    assert exchange["supplier"]["name"] == "Steelworks" and exchange["delivered_g"] == 0
    again = cora.post(f"/api/v1/proposals/{proposal['id']}/accept")  # a new key: still one
    assert again.get_json()["exchange"]["id"] == exchange["id"]
    assert count(db_session, Exchange) == 1
    refused = cora.post(f"/api/v1/proposals/{proposal['id']}/reject")
    assert refused.status_code == 409 and refused.get_json()["field"] == "proposal"

    assert api("bob", "read").get("/api/v1/exchanges").get_json()["items"] == [exchange]
    assert api("carl", "read").get("/api/v1/exchanges").get_json()["total"] == 0
    hidden = api("carl", "read").get(f"/api/v1/exchanges/{exchange['id']}")
    assert hidden.status_code == 404 and hidden.get_json()["field"] == "exchange"
    shown = api("alice", "read").get(f"/api/v1/runs/{run['id']}")
    assert shown.status_code == 403  # staff do not see matching runs, as on the pages


def test_roles_the_market_pages_refuse_are_refused(api, db_session):
    market(api)
    mia = api("mia")
    assert mia.post("/api/v1/runs").status_code == 403
    assert mia.post("/api/v1/offers", OFFER).status_code == 403
    assert mia.get("/api/v1/offers").status_code == 403
    assert api("alice").post("/api/v1/runs").status_code == 403
    assert api("alice").get("/api/v1/market").status_code == 403
    assert api("cora", "read").post("/api/v1/runs").status_code == 403  # a read token
    assert count(db_session, Offer) == 1


def test_a_withdrawn_offer_leaves_the_market_and_only_its_company_withdraws(api, db_session):
    offer, _demand = market(api)
    other = api("bob").post(f"/api/v1/offers/{offer['id']}/withdraw")
    assert other.status_code == 404 and other.get_json()["field"] == "id"
    done = api("alice").post(f"/api/v1/offers/{offer['id']}/withdraw")
    assert done.status_code == 200
    assert done.get_json() == {"id": offer["id"], "kind": "offer", "status": "withdrawn"}
    assert api("mia", "read").get("/api/v1/market").get_json()["by_material"][0]["offers"] == 0
    missing = api("alice").post("/api/v1/offers/2147483647/withdraw")
    assert missing.status_code == 404
    beyond = api("alice").post("/api/v1/offers/2147483648/withdraw")  # beyond an integer
    assert beyond.status_code == 404 and beyond.content_type == "application/problem+json"


def test_bad_listings_are_refused_naming_the_field_and_nothing_is_listed(api, db_session):
    alice = api("alice")
    cases = [
        ({**OFFER, "tonnes": "ten"}, "tonnes"),
        ({**OFFER, "period": "fortnight"}, "period"),
        ({**OFFER, "material": "99 99 99"}, "material"),
        ({**OFFER, "available_until": "2001-01-01"}, "available_until"),
        ({**OFFER, "lat": 91, "lon": 0}, "lat"),
        ({**OFFER, "colour": "grey"}, "colour"),
    ]
    for body, field in cases:
        refused = alice.post("/api/v1/offers", body)
        assert refused.status_code == 422, (field, refused.get_json())
        problem = refused.get_json()
        assert problem["field"] == field and problem["label"], problem
    demand = api("bob").post("/api/v1/demands", {**DEMAND, "max_distance_km": 9000})
    assert demand.status_code == 422 and demand.get_json()["field"] == "max_distance_km"
    assert count(db_session, Offer) == 0


def test_an_offer_sent_twice_with_one_key_is_listed_once(api, db_session):
    alice = api("alice")
    first = alice.post("/api/v1/offers", OFFER, key="offer-2026-0001")
    again = alice.post("/api/v1/offers", OFFER, key="offer-2026-0001")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other = alice.post("/api/v1/offers", {**OFFER, "tonnes": 11}, key="offer-2026-0001")
    assert other.status_code == 422 and other.get_json()["field"] == "Idempotency-Key"
    assert count(db_session, Offer) == 1


def test_amounts_written_as_strings_are_read_in_the_language_of_the_request(api):
    german = api("alice").post(
        "/api/v1/offers", {**OFFER, "tonnes": "10,5"}, headers={"Accept-Language": "de"}
    )
    assert german.status_code == 201, german.get_json()
    assert german.get_json()["mass_g"] == 10_500_000  # 10,5 t in German is 10.5 t
    english = api("alice").post("/api/v1/offers", {**OFFER, "tonnes": "10,5"})
    assert english.status_code == 422 and english.get_json()["field"] == "tonnes"
