"""Companies of the park and the people who use circularity."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlmodel import Field, SQLModel

from circularity.times import utcnow

#: What a company does with the material it receives: a producer makes products (and
#: by-products), a recycler turns waste into secondary raw materials, waste management
#: (landfills, incinerators, waste-to-energy plants) disposes of it. Symbiosis figures count
#: deliveries between producers and recyclers only (docs/methods.md, "Symbiosis network").
COMPANY_KINDS = ("producer", "recycler", "waste_management")


class Company(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    sector: str = Field(max_length=100)
    kind: str = Field(default="producer", max_length=20)
    address: str = Field(default="", max_length=300)
    # The GS1 Global Location Number of the company's site, if it has one (EPCIS export).
    gln: str | None = Field(default=None, max_length=13)
    lat: float
    lon: float
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


def new_session_token() -> str:
    """A fresh random value for ``User.session_token`` (256 bits)."""
    return secrets.token_urlsafe(32)


class User(UserMixin, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=254)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    company_id: int | None = Field(default=None, foreign_key="company.id", index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Every session cookie names it (Flask-Login's alternative id, see get_id): a new value
    # ends every session of this person at once, on every device.
    session_token: str = Field(default_factory=new_session_token, max_length=64)
    # The language the person chose (a catalogue of circularity.i18n.LANGUAGES); None: the
    # browser's Accept-Language decides.
    locale: str | None = Field(default=None, max_length=10)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login.
        return self.active

    def get_id(self) -> str:
        """What the session cookie stores: the id and the current session token, so a cookie
        made before the token changed (logout, revocation, a new password) opens nothing."""
        return f"{self.id}:{self.session_token}"
