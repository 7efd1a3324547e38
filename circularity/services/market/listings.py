"""Offers and demands: what companies have and can take, entered by their staff.

Each create is one write transaction that validates every field before writing and names the
first bad one. The form carries a client token (``idempotency``), so a retried POST returns the
listing the first one created instead of listing the material twice.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from circularity.db import write_transaction
from circularity.models import Company, Demand, Offer, User
from circularity.roles import can
from circularity.services import catalogue, fields, idempotency
from circularity.services.errors import Forbidden, InvalidInput, NotFound
from circularity.services.numbers import parse_number
from circularity.services.quantities import to_grams
from circularity.times import park_timezone

#: Period choices on the forms, in days; None is one lot.
PERIODS: dict[str, int | None] = {"lot": None, "week": 7, "month": 30, "year": 365}


def today() -> date:
    return datetime.now(park_timezone()).date()


def period_name(days: int | None) -> str:
    return next((name for name, d in PERIODS.items() if d == days), f"{days} days")


def _staff_company(session: Session, user: User) -> Company:
    if not can(user, "list_on_market") or user.company_id is None:
        raise Forbidden("Only staff of a company can list what it has or can take.")
    return session.get(Company, user.company_id)


def _replayed(session: Session, model: type[Offer | Demand], token: str, user: User, values: dict):
    """The listing a retried form created already, or None.

    Raises Conflict for another person's token, and InvalidInput when the listing the token
    made holds other values than this request (a form sent again after Back, with something
    else typed into it). Tokens are kept per kind of listing, so the operation is the table.
    The caller holds the token (``idempotency.hold``) so that two copies arriving together
    on PostgreSQL do not both insert.
    """
    row = session.exec(select(model).where(model.client_token == token)).first()
    if row is not None:
        idempotency.require_same("client_token", user, row.created_by)
        idempotency.require_same_record("client_token", row, values)
    return row


def _period(value: str) -> int | None:
    if value not in PERIODS:
        raise InvalidInput("Choose one lot, per week, per month or per year.", "period")
    return PERIODS[value]


def _date(value, field_name: str, default: date | None = None) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return fields.day(value, field_name)


def _position(lat, lon, company: Company) -> tuple[float, float]:
    """The listing's location, the company's own when both fields are left empty."""
    if str(lat or "").strip() == "" and str(lon or "").strip() == "":
        return company.lat, company.lon
    return fields.coordinate(lat, "lat", 90), fields.coordinate(lon, "lon", 180)


def _quality(value) -> str:
    return fields.optional_text(value, "quality", 500)


def create_offer(
    session: Session,
    user: User,
    *,
    material: str,
    tonnes: str,
    period: str,
    client_token: str,
    available_from: str | None = None,
    available_until: str | None = None,
    lat: str | float | None = None,
    lon: str | float | None = None,
    quality: str = "",
    origin: str = "manual",
) -> Offer:
    """List a material the person's company has, per period or as one lot."""
    idempotency.check(client_token, "client_token")
    with write_transaction(session):
        idempotency.hold(session, client_token)
        company = _staff_company(session, user)
        entry = catalogue.get_material(material)
        grams = to_grams(tonnes, "t", field="tonnes")
        days = _period(period)
        given_start = _date(available_from, "available_from")
        start = given_start or today()
        until = _date(available_until, "available_until")
        if until is not None and until < start:
            raise InvalidInput("The offer must end on or after its first day.", "available_until")
        position = _position(lat, lon, company)
        values = dict(
            company_id=company.id,
            material_code=entry.code,
            mass_g=grams,
            period_days=days,
            available_until=until,
            lat=position[0],
            lon=position[1],
            quality=_quality(quality),
            origin="history" if origin == "history" else "manual",
        )
        # A start left empty is "today": a retry the next day is still the same form.
        compared = values | ({"available_from": start} if given_start else {})
        if done := _replayed(session, Offer, client_token, user, compared):
            return done
        offer = Offer(
            client_token=client_token,
            available_from=start,
            created_by=user.id,
            **values,
        )
        session.add(offer)
        session.flush()
        return offer


def _accepts(value) -> list[str]:
    codes = [c for c in re.split(r"[,;\n]+", value or "") if c.strip()]
    if not codes:
        raise InvalidInput("Name at least one List-of-Waste code the company can take.", "accepts")
    out: list[str] = []
    for code in codes:
        entry = catalogue.get_material(code.strip(), "accepts")
        if entry.code not in out:
            out.append(entry.code)
    return out


def create_demand(
    session: Session,
    user: User,
    *,
    accepts: str,
    tonnes: str,
    period: str,
    client_token: str,
    lat: str | float | None = None,
    lon: str | float | None = None,
    max_distance_km: str | float | None = None,
    hazardous_permit: bool = False,
    quality: str = "",
) -> Demand:
    """List what the person's company can take: any of the accepted materials, up to tonnes."""
    idempotency.check(client_token, "client_token")
    with write_transaction(session):
        idempotency.hold(session, client_token)
        company = _staff_company(session, user)
        codes = _accepts(accepts)
        grams = to_grams(tonnes, "t", field="tonnes")
        days = _period(period)
        position = _position(lat, lon, company)
        limit = None
        if str(max_distance_km or "").strip():
            limit = float(
                parse_number(max_distance_km, "max_distance_km", above_zero=True, maximum=5000)
            )
            if limit > 5000:
                raise InvalidInput(
                    "A road distance inside the region is under 5000 km.", "max_distance_km"
                )
        values = dict(
            company_id=company.id,
            accepts=" ".join(codes),
            mass_g=grams,
            period_days=days,
            lat=position[0],
            lon=position[1],
            max_distance_km=limit,
            hazardous_permit=bool(hazardous_permit),
            quality=_quality(quality),
        )
        if done := _replayed(session, Demand, client_token, user, values):
            return done
        demand = Demand(client_token=client_token, created_by=user.id, **values)
        session.add(demand)
        session.flush()
        return demand


def withdraw(session: Session, user: User, kind: str, listing_id: int) -> Offer | Demand:
    """Take an offer or demand of the person's company out of the market; again is a no-op."""
    model = Offer if kind == "offer" else Demand
    with write_transaction(session):
        row = session.get(model, listing_id)
        if row is None or row.company_id != user.company_id:
            raise NotFound("Your company has no such listing.", "id")
        _staff_company(session, user)
        row.status = "withdrawn"
        session.add(row)
        return row


def company_listings(session: Session, company_id: int) -> tuple[list[Offer], list[Demand]]:
    offers = session.exec(
        select(Offer).where(Offer.company_id == company_id).order_by(Offer.id.desc())
    ).all()
    demands = session.exec(
        select(Demand).where(Demand.company_id == company_id).order_by(Demand.id.desc())
    ).all()
    return list(offers), list(demands)


def open_offers(session: Session, on: date | None = None) -> list[Offer]:
    """Offers in the market on a day: open, and available then."""
    on = on or today()
    rows = session.exec(
        select(Offer).where(Offer.status == "open", Offer.available_from <= on).order_by(Offer.id)
    ).all()
    return [o for o in rows if o.available_until is None or o.available_until >= on]


def open_demands(session: Session) -> list[Demand]:
    return list(
        session.exec(select(Demand).where(Demand.status == "open").order_by(Demand.id)).all()
    )


@dataclass
class Totals:
    """Supply and demand of one material or one company, in tonnes per 30 days."""

    key: str
    supply_t: float = 0.0
    demand_t: float = 0.0
    offers: int = 0
    demands: int = 0
    companies: set = field(default_factory=set)


def per_month_tonnes(mass_g: int, period_days: int | None) -> float:
    """Tonnes per 30 days; a lot counts whole, as it can be delivered within the month."""
    tonnes = mass_g / 1_000_000
    return tonnes if period_days is None else tonnes * 30 / period_days


def overview(session: Session) -> tuple[list[Totals], list[Totals]]:
    """Open supply and demand by material and by company (demands count for each material)."""
    names = dict(session.exec(select(Company.id, Company.name)).all())
    by_material: dict[str, Totals] = {}
    by_company: dict[str, Totals] = {}
    for offer in open_offers(session):
        t = per_month_tonnes(offer.mass_g, offer.period_days)
        m = by_material.setdefault(offer.material_code, Totals(offer.material_code))
        c = by_company.setdefault(names[offer.company_id], Totals(names[offer.company_id]))
        m.supply_t, m.offers = m.supply_t + t, m.offers + 1
        m.companies.add(offer.company_id)
        c.supply_t, c.offers = c.supply_t + t, c.offers + 1
    for demand in open_demands(session):
        t = per_month_tonnes(demand.mass_g, demand.period_days)
        for code in demand.accepts.split():
            m = by_material.setdefault(code, Totals(code))
            m.demand_t, m.demands = m.demand_t + t, m.demands + 1
            m.companies.add(demand.company_id)
        c = by_company.setdefault(names[demand.company_id], Totals(names[demand.company_id]))
        c.demand_t, c.demands = c.demand_t + t, c.demands + 1
    return sorted(by_material.values(), key=lambda t: t.key), sorted(
        by_company.values(), key=lambda t: t.key
    )
