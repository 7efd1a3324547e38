"""What every part of the API shares: names of companies and materials, amounts as they may be
sent, the Idempotency-Key header, and pages of a list."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from circularity.services import catalogue
from circularity.services.idempotency import PATTERN


class Body(BaseModel):
    """A request body: a name the schema does not know is refused, so a misspelt field is an
    error rather than a value silently left out."""

    model_config = ConfigDict(extra="forbid")


#: An amount as a JSON number, or as a decimal string read as the forms read numbers
#: ("1250.5"; in the language of Accept-Language, English by default).
Amount = Annotated[float, Field(allow_inf_nan=False)] | Annotated[str, Field(max_length=40)]

RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class WriteHeaders(BaseModel):
    """Headers of every write."""

    idempotency_key: str = Field(
        alias="Idempotency-Key",
        pattern=PATTERN.pattern,
        description="A new random value per write (a UUID): a retry with the same key and "
        "body gets the first answer again; the same key with another body is refused (422).",
    )


class CompanyRef(BaseModel):
    id: int
    name: str


class MaterialOut(BaseModel):
    """An entry of the European List of Waste."""

    code: str = Field(description="Six digits, no spaces: 170405")
    display_code: str = Field(description="As the List prints it: '17 04 05', '13 02 05*'")
    description: str
    hazardous: bool


def material(code: str) -> MaterialOut:
    entry = catalogue.materials()[code]
    return MaterialOut(
        code=entry.code,
        display_code=entry.display_code,
        description=entry.description,
        hazardous=entry.hazardous,
    )


def company(company_id: int | None, names: dict[int, str]) -> CompanyRef | None:
    if company_id is None:
        return None
    return CompanyRef(id=company_id, name=names.get(company_id, ""))
