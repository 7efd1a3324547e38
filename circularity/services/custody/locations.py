"""Where events happen and who takes part, as EPCIS identifies them.

EPCIS names a site (``readPoint``, ``bizLocation``, a source or destination of type
``location``) and a party (``owning_party``, ``possessing_party``) by a URI. A company with a
GS1 Global Location Number is named by it, as a GS1 Digital Link: its site
``https://id.gs1.org/414/<GLN>`` and the company as a party ``https://id.gs1.org/417/<GLN>``
(GS1 Digital Link URI Syntax 1.2; AI 414 is a physical location, AI 417 a party). Without one,
the park names them under its own address, which stays the same as long as ``BASE_URL`` does:

- a company's site ``<BASE_URL>/epcis/sites/<company id>``;
- a company as a party ``<BASE_URL>/epcis/parties/<company id>``;
- a carrier, which is known by the name the shipper typed, ``<BASE_URL>/epcis/carriers/<name>``
  (percent-encoded).

A batch is named by its permanent label URL, ``<BASE_URL>/b/<code>``, the one its QR code holds.
"""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import func
from sqlmodel import Session, select

from circularity.db import write_transaction
from circularity.models import Company
from circularity.services.custody.event_hash import check_digit
from circularity.services.custody.labels import label_url
from circularity.services.errors import Conflict, InvalidInput, NotFound

DIGITAL_LINK = "https://id.gs1.org"


def parse_gln(text: str | None) -> str | None:
    """A GLN as 13 digits with a valid check digit; ``None`` for an empty field.

    Spaces and dashes people type between groups are dropped. A wrong check digit is refused:
    it is the commonest typing error, and the GLN would name another site.
    """
    digits = "".join((text or "").split()).replace("-", "")
    if not digits:
        return None
    if len(digits) != 13 or not digits.isascii() or not digits.isdigit():
        raise InvalidInput("A GLN is 13 digits, for example 9520000000011.", "gln")
    if check_digit(digits[:12]) != digits[12]:
        raise InvalidInput(
            "This GLN's last digit should be %(digit)s: check it on the company's GS1 record.",
            "gln",
            digit=check_digit(digits[:12]),
        )
    return digits


def set_company_gln(session: Session, company_id: str | int, gln: str | None) -> Company:
    """Give a company its GLN (or take it away with an empty value); one GLN, one company."""
    value = parse_gln(gln)
    try:
        key = int(company_id)
    except (TypeError, ValueError):
        raise NotFound("No such company.", "company") from None
    with write_transaction(session):
        company = session.get(Company, key) if 0 < key < 2**31 else None
        if company is None:
            raise NotFound("No such company.", "company")
        if value is not None:
            taken = session.exec(
                select(func.count())
                .select_from(Company)
                .where(Company.gln == value, Company.id != company.id)
            ).one()
            if taken:
                raise Conflict("Another company has this GLN already.", "gln")
        company.gln = value
        session.add(company)
    return company


def site_uri(base_url: str, company_id: int, gln: str | None) -> str:
    """The URI of a company's site: its GLN as AI 414, or the park's own."""
    if gln:
        return f"{DIGITAL_LINK}/414/{gln}"
    return f"{base_url.rstrip('/')}/epcis/sites/{company_id}"


def party_uri(base_url: str, company_id: int, gln: str | None) -> str:
    """The URI of a company as a party: its GLN as AI 417, or the park's own."""
    if gln:
        return f"{DIGITAL_LINK}/417/{gln}"
    return f"{base_url.rstrip('/')}/epcis/parties/{company_id}"


def carrier_uri(base_url: str, name: str) -> str:
    """The URI of a carrier, known by its name: one name, one URI."""
    return f"{base_url.rstrip('/')}/epcis/carriers/{quote(name.strip(), safe='')}"


def batch_uri(base_url: str, code: str) -> str:
    """A batch's EPC: the permanent label URL its QR code holds."""
    return label_url(base_url, code)
