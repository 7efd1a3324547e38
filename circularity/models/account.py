"""Companies of the park and the people who use circularity."""

from datetime import datetime

from flask_login import UserMixin
from sqlmodel import Field, SQLModel

from circularity.times import utcnow


class Company(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    sector: str = Field(max_length=100)
    address: str = Field(default="", max_length=300)
    lat: float
    lon: float
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class User(UserMixin, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=254)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    company_id: int | None = Field(default=None, foreign_key="company.id", index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login and on load.
        return self.active
