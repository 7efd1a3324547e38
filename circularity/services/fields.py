"""Checks for the plain values people type, shared by every service, and the fields' names
in words.

Each check raises InvalidInput naming the field, so a page or the CLI can point at what to
fix; ``label`` turns that internal name into the words the form shows beside it.
"""

import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l

from circularity.services.errors import InvalidInput, ServiceError
from circularity.services.numbers import parse_number

# Row ids are PostgreSQL integers (32-bit, signed); a larger one names no row.
MAX_ID = 2**31 - 1
# Dates a record can carry: the park's records start long after 2000, and a plan or a
# period reaches a few decades ahead at most.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)

LABELS = {
    "accepts": _l("Materials accepted"),
    "active": _l("Active"),
    "address": _l("Address"),
    "amount": _l("Amount"),
    "area": _l("Key area"),
    "available_from": _l("Available from"),
    "available_until": _l("Available until"),
    "basis": _l("Weighed or estimated"),
    "batches": _l("Batches"),
    "by": _l("Group by"),
    "carrier": _l("Carrier"),
    "client_event_id": _l("Form token"),
    "client_token": _l("Form token"),
    "code": _l("Batch code"),
    "company": _l("Company"),
    "credit": _l("Credit"),
    "current_password": _l("Current password"),
    "decision": _l("Decision"),
    "density": _l("Bulk density (kg/m³)"),
    "description": _l("Description"),
    "destination": _l("Destination company"),
    "distance_km": _l("Road distance (km)"),
    "edition": _l("Edition"),
    "electricity_mwh": _l("Electricity bought (MWh)"),
    "email": _l("Email"),
    "end": _l("Period end"),
    "exchange": _l("Exchange"),
    "factor": _l("Factor (kg CO2e per unit)"),
    "factor_set": _l("Factor set"),
    "file": _l("File"),
    "gln": _l("GLN (Global Location Number)"),
    "grid": _l("Grid emission factor"),
    "inputs": _l("Activity data"),
    "key": _l("Key"),
    "lat": _l("Latitude"),
    "licence": _l("Licence"),
    "locale": _l("Language"),
    "lon": _l("Longitude"),
    "material": _l("Material"),
    "max_distance_km": _l("Maximum distance (km)"),
    "month": _l("Month"),
    "months": _l("Months"),
    "name": _l("Name"),
    "note": _l("Reason"),
    "operation": _l("Operation"),
    "page": _l("Page"),
    "runs_page": _l("Page of the runs"),
    "waiting_page": _l("Page of the batches waiting"),
    "outputs": _l("Outputs"),
    "parts": _l("Parts"),
    "password": _l("Password"),
    "period": _l("Period"),
    "proposal": _l("Proposal"),
    "quality": _l("Quality"),
    "quantity": _l("Quantity"),
    "reason": _l("Reason"),
    "repeat_password": _l("Password, again"),
    "role": _l("Role"),
    "run": _l("Matching run"),
    "sector": _l("Sector"),
    "source": _l("Source"),
    "start": _l("Period start"),
    "status": _l("Status"),
    "tco2e": _l("Emissions (t CO2e)"),
    "tonnes": _l("Tonnes"),
    "unit": _l("Unit"),
    "user": _l("Person"),
    "vehicle": _l("Vehicle"),
    "what": _l("Fuel or input"),
    "version": _l("Batch version"),
    "year": _l("Year"),
}
_INDEXED = re.compile(r"^(outputs|parts|fuels)\[(\d+)\](?:\.(\w+))?$")
_ROWS = {
    "outputs": _l("Output %(n)d"),
    "parts": _l("Part %(n)d"),
    "fuels": _l("Fuel %(n)d"),
}


def label(field: str | None) -> str:
    """The words a form shows for ``field``: "Road distance (km)" for ``distance_km``,
    "Output 2: Quantity" for ``outputs[1].quantity``; an unknown name is shown as it is.
    The part keeps its capitals: German writes every noun with one ("Ausgabe 2: Menge")."""
    if not field:
        return ""
    indexed = _INDEXED.match(field)
    if indexed:
        kind, index, part = indexed.groups()
        row = str(_ROWS[kind]) % {"n": int(index) + 1}
        return f"{row}: {LABELS.get(part, part)}" if part else row
    return str(LABELS.get(field, field))


def required_text(value: str | None, field: str, limit: int) -> str:
    """Stripped text that must be there and fit ``limit`` characters."""
    text = optional_text(value, field, limit)
    if not text:
        raise InvalidInput("This field is required.", field)
    return text


def optional_text(value: str | None, field: str, limit: int) -> str:
    """Stripped text, possibly empty, of at most ``limit`` characters and no control
    characters (a NUL byte, which PostgreSQL refuses, or an escape sequence)."""
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput("Keep this under %(limit)d characters.", field, limit=limit)
    if has_control_characters(text):
        raise InvalidInput("Remove the control characters from this text.", field)
    return text


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character other than tab and line breaks."""
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text)


def coordinate(value: str | float | None, field: str, bound: int) -> float:
    """Degrees within ±``bound`` (90 for latitude, 180 for longitude)."""
    return float(parse_number(value, field, minimum=-bound, maximum=bound))


def record_id(value: str | int | None, field: str) -> int:
    """The id of a row chosen in a form (a company, a factor set): plain digits naming a
    possible row, or InvalidInput asking to choose from the list."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput("Choose one from the list.", field)
    return int(text)


def page_number(value: str | None, field: str) -> int:
    """The page of a long list to show, counted from 1 (1 when not given): plain digits, or
    a ServiceError (400, a bad address) naming the field."""
    text = (value or "1").strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise ServiceError("Enter a page number: a whole number, 1 or more.", field)
    return int(text)


def day(value: str | date | None, field: str) -> date:
    """A date written as YYYY-MM-DD, between 2000 and 2099."""
    if isinstance(value, date):
        chosen = value
    else:
        text = (value or "").strip()
        try:
            chosen = date.fromisoformat(text) if text.isascii() and len(text) == 10 else None
        except ValueError:
            chosen = None
        if chosen is None:
            raise InvalidInput("Enter a date as YYYY-MM-DD.", field)
    if not EARLIEST <= chosen <= LATEST:
        raise InvalidInput(
            "Enter a date between %(earliest)s and %(latest)s.",
            field,
            earliest=EARLIEST.isoformat(),
            latest=LATEST.isoformat(),
        )
    return chosen
