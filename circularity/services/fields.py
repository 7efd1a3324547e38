"""Checks for the plain values people type, shared by every service.

Each raises InvalidInput naming the field, so a page or the CLI can point at what to fix.
"""

from circularity.services.errors import InvalidInput


def required_text(value: str | None, field: str, limit: int) -> str:
    """Stripped text that must be there and fit ``limit`` characters."""
    text = optional_text(value, field, limit)
    if not text:
        raise InvalidInput("This field is required.", field)
    return text


def optional_text(value: str | None, field: str, limit: int) -> str:
    """Stripped text, possibly empty, of at most ``limit`` characters."""
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput("Keep this under %(limit)d characters.", field, limit=limit)
    return text


def coordinate(value: str | float | None, field: str, bound: int) -> float:
    """Degrees within ±``bound`` (90 for latitude, 180 for longitude)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput("Enter a number in degrees.", field) from None
    if not -bound <= number <= bound:
        raise InvalidInput("Enter a value between -%(b)d and %(b)d.", field, b=bound)
    return number
