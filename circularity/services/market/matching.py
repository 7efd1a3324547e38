"""Matching runs: the market in the database -> the engine's instance -> ranked proposals.

The engine (mfa.matching) finds the allocation that saves the most CO2; this module decides
what it is given. Quantities are tonnes per 30 days (a lot counts whole), minus what open
exchanges already commit. Offers of materials without a benefit factor are left out, with that
explanation, rather than credited with a guess. Every run is stored with its instance, result
and factor source, and never changed; the coordinator's decisions are rows of their own.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext, lazy_gettext
from sqlalchemy import func
from sqlmodel import Session, select

from circularity.config import setting
from circularity.db import write_transaction
from circularity.models import (
    Company,
    Demand,
    Exchange,
    MatchRun,
    Offer,
    Proposal,
    ProposalDecision,
    User,
)
from circularity.roles import can
from circularity.services import catalogue, idempotency
from circularity.services.errors import Conflict, Forbidden, NotFound
from circularity.services.market import benefits, listings
from mfa.matching import INSTANCE_FORMAT, match_market

PERIOD_DAYS = 30
#: Leftovers below this many tonnes are rounding, not capacity.
EPSILON_T = 0.0005

REASONS = {
    "no_factor_unmapped": lazy_gettext(
        "%(material)s has no reviewed DEFRA material, so no benefit factor: left out of "
        "matching rather than credited with a guess"
    ),
    "no_factor_blank": lazy_gettext(
        '%(material)s maps to DEFRA "%(defra)s", which gives no closed-loop factor: no '
        "benefit factor, left out of matching"
    ),
    "no_demand": lazy_gettext("no demand accepts %(material)s"),
    "same_company_only": lazy_gettext(
        "only demands of the offering company itself accept %(material)s; reuse inside one "
        "company is not an exchange"
    ),
    "hazardous_permit_missing": lazy_gettext(
        "%(material)s is hazardous and no other company that accepts it holds a permit"
    ),
    "beyond_max_distance": lazy_gettext(
        "every receiver that accepts %(material)s is beyond its maximum distance"
    ),
    "transport_exceeds_benefit": lazy_gettext(
        "transport to every receiver in range would emit more CO2 than using %(material)s saves"
    ),
    "demand_filled": lazy_gettext(
        "every demand that could take it is already filled by matches that save more CO2"
    ),
}


def _material_label(code: str) -> str:
    entry = catalogue.get_material(code)
    return f"{entry.display_code} {entry.description}"


def explanation_text(item: dict) -> str:
    """The sentence for a stored explanation, in the reader's language."""
    template = REASONS.get(item["reason"])
    if template is None:
        return item.get("explanation", item["reason"])
    return str(template) % {
        "material": _material_label(item["material"]),
        "defra": item.get("defra", ""),
    }


def _committed(session: Session, column) -> dict[int, int]:
    """Grams already planned by open exchanges, per offer or per demand."""
    rows = session.exec(
        select(column, func.sum(Exchange.planned_g))
        .where(Exchange.status == "open")
        .group_by(column)
    ).all()
    return {key: int(total) for key, total in rows}


def remaining_tonnes(mass_g: int, period_days: int | None, committed_g: int) -> float:
    """Tonnes per 30 days still free: the listing's rate minus what exchanges commit."""
    return listings.per_month_tonnes(mass_g, period_days) - committed_g / 1_000_000


def build_instance(session: Session) -> tuple[dict, list[dict]]:
    """The engine's instance for the open market, and the offers left out with why.

    Ids are 'o<offer id>', 'd<demand id>', 'c<company id>'; materials are List-of-Waste codes.
    """
    offer_commit = _committed(session, Exchange.offer_id)
    demand_commit = _committed(session, Exchange.demand_id)
    materials: dict[str, dict] = {}
    offers, excluded = [], []
    for offer in listings.open_offers(session):
        tonnes = remaining_tonnes(offer.mass_g, offer.period_days, offer_commit.get(offer.id, 0))
        if tonnes <= EPSILON_T:
            continue
        factor = benefits.benefit(offer.material_code)
        if factor.kgco2e_per_t is None:
            excluded.append(
                {
                    "offer": offer.id,
                    "tonnes": round(tonnes, 3),
                    "reason": f"no_factor_{factor.no_factor_reason}",
                    "material": offer.material_code,
                    "defra": factor.defra_material or "",
                }
            )
            continue
        materials.setdefault(offer.material_code, _material(offer.material_code, factor))
        offers.append(
            {
                "id": f"o{offer.id}",
                "company": f"c{offer.company_id}",
                "material": offer.material_code,
                "tonnes": round(tonnes, 6),
                "lat": offer.lat,
                "lon": offer.lon,
            }
        )
    demands = []
    for demand in listings.open_demands(session):
        accepts = [code for code in demand.accepts.split() if code in materials]
        tonnes = remaining_tonnes(
            demand.mass_g, demand.period_days, demand_commit.get(demand.id, 0)
        )
        if not accepts or tonnes <= EPSILON_T:
            continue
        demands.append(
            {
                "id": f"d{demand.id}",
                "company": f"c{demand.company_id}",
                "accepts": accepts,
                "tonnes": round(tonnes, 6),
                "lat": demand.lat,
                "lon": demand.lon,
                "max_distance_km": demand.max_distance_km,
                "hazardous_permit": demand.hazardous_permit,
            }
        )
    instance = {
        "format": INSTANCE_FORMAT,
        "transport_kgco2e_per_tkm": benefits.transport().kgco2e_per_tkm,
        "road_circuity": float(setting("ROAD_CIRCUITY")),
        "materials": dict(sorted(materials.items())),
        "offers": offers,
        "demands": demands,
    }
    return instance, excluded


def _material(code: str, factor: benefits.Benefit) -> dict:
    entry = catalogue.get_material(code)
    return {
        "name": entry.description,
        "hazardous": entry.hazardous,
        "benefit_kgco2e_per_t": factor.kgco2e_per_t,
    }


def require_coordinator(user: User) -> None:
    if not can(user, "run_matching"):
        raise Forbidden("Only the park's coordinator can run matching and decide on proposals.")


def run(
    session: Session,
    user: User,
    client_token: str,
    progress: Callable[[int], None] | None = None,
) -> MatchRun:
    """Match the open market now and store the run with its ranked proposals, once per
    client token (a retry answers the run the token made).

    The market is read and matched before the write transaction opens, so that nobody else
    waits for the engine (at regional scale it takes long, and SQLite has one write lock); the
    run keeps the instance it was given, and a proposal accepted later is checked against the
    market as it is then (``decide``). ``progress`` hears the percent done, between steps
    (a background job's page shows it).
    """
    idempotency.check(client_token, "client_token")
    require_coordinator(user)
    report = progress or (lambda _percent: None)
    done = _run_of(session, user, client_token)
    if done is not None:
        return done
    instance, excluded = build_instance(session)
    report(20)
    result = match_market(instance, source="market")
    report(80)
    transport = instance["transport_kgco2e_per_tkm"]
    explanations = excluded + [
        {
            "offer": int(item["offer"][1:]),
            "tonnes": item["tonnes"],
            "reason": item["reason"],
            "material": _offer_material(instance, item["offer"]),
            "explanation": item["explanation"],
        }
        for item in result["unmatched"]
    ]
    with write_transaction(session):
        idempotency.hold(session, client_token)
        done = _run_of(session, user, client_token)
        if done is not None:
            return done
        record = MatchRun(
            client_token=client_token,
            user_id=user.id,
            factor_source=benefits.FACTOR_SOURCE[:300],
            transport_kgco2e_per_tkm=transport,
            road_circuity=instance["road_circuity"],
            period_days=PERIOD_DAYS,
            total_net_kgco2e=result["total_net_kgco2e"],
            instance=json.dumps(instance, sort_keys=True),
            result=json.dumps(result, sort_keys=True),
            explanations=json.dumps(sorted(explanations, key=lambda e: e["offer"])),
        )
        session.add(record)
        session.flush()
        ranked = sorted(result["matches"], key=lambda m: (-m["net_kgco2e"], m["offer"]))
        for rank, match in enumerate(ranked, start=1):
            code = _offer_material(instance, match["offer"])
            session.add(
                Proposal(
                    run_id=record.id,
                    rank=rank,
                    offer_id=int(match["offer"][1:]),
                    demand_id=int(match["demand"][1:]),
                    material_code=code,
                    mass_g=round(match["tonnes"] * 1_000_000),
                    distance_km=match["distance_km"],
                    benefit_kgco2e_per_t=instance["materials"][code]["benefit_kgco2e_per_t"],
                    transport_kgco2e=transport * match["distance_km"] * match["tonnes"],
                    net_kgco2e=match["net_kgco2e"],
                )
            )
        return record


def _run_of(session: Session, user: User, client_token: str) -> MatchRun | None:
    """The run this client token made already, if any; raises Conflict if another person's."""
    done = session.exec(select(MatchRun).where(MatchRun.client_token == client_token)).first()
    if done is not None:
        idempotency.require_same("client_token", user, done.user_id)
    return done


def _offer_material(instance: dict, offer_id: str) -> str:
    return next(o["material"] for o in instance["offers"] if o["id"] == offer_id)


@dataclass
class ProposalView:
    proposal: Proposal
    supplier: str
    receiver: str
    decision: str | None
    exchange_id: int | None


@dataclass
class RunView:
    run: MatchRun
    proposals: list[ProposalView]
    explanations: list[dict]


def runs(session: Session, limit: int = 20) -> list[MatchRun]:
    return list(session.exec(select(MatchRun).order_by(MatchRun.id.desc()).limit(limit)).all())


def get_run(session: Session, run_id: int) -> RunView:
    record = session.get(MatchRun, run_id)
    if record is None:
        raise NotFound("There is no such matching run.", "run")
    names = dict(session.exec(select(Company.id, Company.name)).all())
    proposals = session.exec(
        select(Proposal).where(Proposal.run_id == run_id).order_by(Proposal.rank)
    ).all()
    ids = [p.id for p in proposals]
    decisions = dict(
        session.exec(
            select(ProposalDecision.proposal_id, ProposalDecision.decision).where(
                ProposalDecision.proposal_id.in_(ids)
            )
        ).all()
    )
    exchanges = dict(
        session.exec(
            select(Exchange.proposal_id, Exchange.id).where(Exchange.proposal_id.in_(ids))
        ).all()
    )
    offers = {
        o.id: o
        for o in session.exec(
            select(Offer).where(Offer.id.in_([p.offer_id for p in proposals]))
        ).all()
    }
    demands = {
        d.id: d
        for d in session.exec(
            select(Demand).where(Demand.id.in_([p.demand_id for p in proposals]))
        ).all()
    }
    views = [
        ProposalView(
            p,
            names[offers[p.offer_id].company_id],
            names[demands[p.demand_id].company_id],
            decisions.get(p.id),
            exchanges.get(p.id),
        )
        for p in proposals
    ]
    explanations = json.loads(record.explanations)
    listed = {
        o.id: o
        for o in session.exec(
            select(Offer).where(Offer.id.in_([e["offer"] for e in explanations]))
        ).all()
    }
    for item in explanations:
        item["mass_g"] = round(item["tonnes"] * 1_000_000)
        item["text"] = explanation_text(item)
        item["company"] = names[listed[item["offer"]].company_id]
    return RunView(record, views, explanations)


def decide(
    session: Session, user: User, proposal_id: int, decision: str
) -> tuple[int, Exchange | None]:
    """Accept (an exchange is agreed) or reject a proposal, once; returns (run id, exchange).

    Accepting again returns the same exchange, so a retried POST agrees one exchange. A
    proposal already decided the other way, or whose offer or demand is gone or committed
    elsewhere since the run, is refused with Conflict.
    """
    require_coordinator(user)
    if decision not in ("accepted", "rejected"):
        raise NotFound("There is no such decision.", "decision")
    with write_transaction(session):
        proposal = session.get(Proposal, proposal_id)
        if proposal is None:
            raise NotFound("There is no such proposal.", "proposal")
        made = session.exec(
            select(ProposalDecision).where(ProposalDecision.proposal_id == proposal_id)
        ).first()
        if made is not None:
            if made.decision != decision:
                raise Conflict(
                    "This proposal was already %(decision)s.",
                    "proposal",
                    decision=gettext(made.decision),
                )
            return proposal.run_id, _exchange_of(session, proposal_id)
        exchange = None
        if decision == "accepted":
            exchange = _agree(session, proposal)
        session.add(ProposalDecision(proposal_id=proposal_id, decision=decision, user_id=user.id))
        if exchange is not None:
            session.add(exchange)
            session.flush()
        return proposal.run_id, exchange


def _exchange_of(session: Session, proposal_id: int) -> Exchange | None:
    return session.exec(select(Exchange).where(Exchange.proposal_id == proposal_id)).first()


def _agree(session: Session, proposal: Proposal) -> Exchange:
    offer = session.get(Offer, proposal.offer_id)
    demand = session.get(Demand, proposal.demand_id)
    if offer.status != "open" or demand.status != "open":
        raise Conflict("The offer or the demand was withdrawn since this run.", "proposal")
    for listing, column in ((offer, Exchange.offer_id), (demand, Exchange.demand_id)):
        left = remaining_tonnes(
            listing.mass_g, listing.period_days, _committed(session, column).get(listing.id, 0)
        )
        if left * 1_000_000 < proposal.mass_g - 1:
            raise Conflict(
                "Other exchanges took part of this offer or demand since the run; run matching "
                "again.",
                "proposal",
            )
    recurring = offer.period_days is not None and demand.period_days is not None
    return Exchange(
        proposal_id=proposal.id,
        offer_id=offer.id,
        demand_id=demand.id,
        supplier_company_id=offer.company_id,
        receiver_company_id=demand.company_id,
        material_code=proposal.material_code,
        planned_g=proposal.mass_g,
        period_days=PERIOD_DAYS if recurring else None,
    )
