"""Numbers as people type them, read strictly in their own locale.

In English "1,250" is one thousand two hundred and fifty and "1,5" is a mistake; in German
"1.250,5" is 1250.5 and "1,5" is one and a half. Reading every number with one rule (comma
as a decimal point, say) turns "1,250" kg into 1.25 kg without a word, so each form value is
parsed with Babel for the person's locale, strictly: digits, that locale's decimal sign and
grouping only, the grouping in the right places. Anything else (exponents, underscores, NaN,
other scripts' digits, a grouping that does not fit) is refused with a message that shows how
to write the number. Values that are numbers already (from a JSON body or the CLI) are taken
as they are, if finite.
"""

from decimal import Decimal

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    format_scientific,
    get_decimal_symbol,
    get_group_symbol,
)
from babel.numbers import (
    parse_decimal as babel_parse_decimal,
)
from flask import has_request_context
from flask_babel import get_locale

from circularity.services.errors import InvalidInput

# Longer than any number a person types (a billion tonnes in grams with grouping is 17).
MAX_LENGTH = 32
DIGITS = frozenset("0123456789")


def current_locale() -> Locale:
    """The person's locale inside a request; English for the CLI and scripts."""
    locale = get_locale() if has_request_context() else None
    return locale or Locale.parse("en")


def example(locale: Locale | None = None) -> str:
    """How to write one thousand two hundred and fifty and a half here, with and without
    grouping: "1,250.5 or 1250.5" in English, "1.250,5 oder 1250,5" in German."""
    locale = locale or current_locale()
    grouped = format_decimal(Decimal("1250.5"), locale=locale)
    plain = format_decimal(Decimal("1250.5"), format="0.0", locale=locale)
    return f"{grouped} / {plain}"


def parse_number(
    value: str | int | float | Decimal | None,
    field: str,
    *,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    above_zero: bool = False,
) -> Decimal:
    """A finite Decimal from what was typed, within the bounds given.

    Raises InvalidInput naming ``field`` when the value is empty, not a number as this
    locale writes one, or outside ``minimum``..``maximum`` (``above_zero``: greater than 0).
    """
    number = _read(value, field)
    if above_zero and number <= 0:
        raise InvalidInput("Enter a number greater than zero.", field)
    if minimum is not None and number < minimum:
        raise InvalidInput("Enter at least %(minimum)s.", field, minimum=_shown(minimum))
    if maximum is not None and number > maximum:
        raise InvalidInput("Enter at most %(maximum)s.", field, maximum=_shown(maximum))
    return number


def _read(value: str | int | float | Decimal | None, field: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidInput("Enter a number.", field)
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise InvalidInput("Enter a number.", field)
        return number
    text = (value or "").strip()
    if not text:
        raise InvalidInput("Enter a number.", field)
    locale = current_locale()
    allowed = DIGITS | {get_decimal_symbol(locale), get_group_symbol(locale)}
    body = text[1:] if text[0] in "-+" else text
    if len(text) > MAX_LENGTH or not body or any(ch not in allowed for ch in body):
        raise _misread(text, field, locale)
    try:
        number = babel_parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        raise _misread(text, field, locale) from None
    if not number.is_finite():
        raise _misread(text, field, locale)
    return number


def _misread(text: str, field: str, locale: Locale) -> InvalidInput:
    return InvalidInput(
        "'%(value)s' is not a number as written here; write it like %(example)s.",
        field,
        value=text[:MAX_LENGTH],
        example=example(locale),
    )


def _shown(bound: Decimal | int) -> str:
    return format_decimal(Decimal(bound), locale=current_locale())


#: Beyond this a number in a message is shown in scientific notation: 1e300 written out is
#: three hundred digits.
SCIENTIFIC_FROM = Decimal(10) ** 15


def shown(value: float | Decimal | int) -> str:
    """A number for a message, as the reader's locale writes it: "12,000,000" in English,
    "12.000.000" in German, "0.0042"; "1E300" or "1.5E-7" for a number too long to write out."""
    number = Decimal(str(value))
    locale = current_locale()
    if abs(number) >= SCIENTIFIC_FROM or 0 < abs(number) < Decimal("1e-6"):
        return format_scientific(number, format="0.###E0", locale=locale)
    return format_decimal(number, format="#,##0.######", locale=locale)
