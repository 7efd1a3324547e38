"""Numbers are read as the person's locale writes them, strictly, or refused with an example."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from circularity import create_app
from circularity.services.errors import InvalidInput
from circularity.services.numbers import parse_number, shown

CASES = [
    # locale, typed, read as (None: refused)
    ("en", "1250", Decimal("1250")),
    ("en", "1,250", Decimal("1250")),
    ("en", "1,250.5", Decimal("1250.5")),
    ("en", "1250.5", Decimal("1250.5")),
    ("en", "0.8", Decimal("0.8")),
    ("en", "1,250,000", Decimal("1250000")),
    ("en", "1,5", None),  # a comma groups thousands in English: refused, not read as 15
    ("en", "1,25", None),
    ("en", "12,50,000", None),  # an Indian grouping does not fit English
    ("en", "1.250,5", None),
    ("de", "1250", Decimal("1250")),
    ("de", "1.250", Decimal("1250")),
    ("de", "1.250,5", Decimal("1250.5")),
    ("de", "1250,5", Decimal("1250.5")),
    ("de", "1,5", Decimal("1.5")),
    ("de", "0.5", None),  # a point groups thousands in German
    ("de", "1,250.5", None),
    ("zh_Hans", "1,250.5", Decimal("1250.5")),
    ("zh_Hans", "1,5", None),
]
REFUSED_EVERYWHERE = [
    "",
    "  ",
    "1_000",
    "1e30",
    "1E5",
    "NaN",
    "inf",
    "Infinity",
    "٣",
    "²",
    "1 000",
    "0x10",
    "1/2",
    "a\x00b",
    "9" * 40,
    "--1",
]


@pytest.fixture(scope="module")
def app():
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


def read(app, locale, typed):
    with app.test_request_context(), force_locale(locale):
        return parse_number(typed, "quantity")


@pytest.mark.parametrize(("locale", "typed", "expected"), CASES)
def test_numbers_in_each_locale(app, locale, typed, expected):
    if expected is None:
        with pytest.raises(InvalidInput) as error:
            read(app, locale, typed)
        assert error.value.field == "quantity"
    else:
        assert read(app, locale, typed) == expected


@pytest.mark.parametrize("locale", ["en", "de", "zh_Hans"])
@pytest.mark.parametrize("typed", REFUSED_EVERYWHERE)
def test_not_numbers_anywhere(app, locale, typed):
    with pytest.raises(InvalidInput):
        read(app, locale, typed)


def test_the_message_shows_how_to_write_it(app):
    with pytest.raises(InvalidInput) as english:
        read(app, "en", "1,5")
    assert "1,250.5" in english.value.message and "1250.5" in english.value.message
    with pytest.raises(InvalidInput) as german:
        read(app, "de", "0.5")
    assert "1.250,5" in german.value.message and "1250,5" in german.value.message


def test_bounds_name_the_field(app):
    with app.test_request_context():
        assert parse_number("5", "distance", minimum=0, maximum=10) == 5
        with pytest.raises(InvalidInput, match="at most 10"):
            parse_number("11", "distance", maximum=10)
        with pytest.raises(InvalidInput, match="greater than zero"):
            parse_number("0", "distance", above_zero=True)


def test_numbers_from_json_or_the_cli_are_taken_as_they_are():
    assert parse_number(2.5, "tonnes") == Decimal("2.5")
    assert parse_number(Decimal("3"), "tonnes") == 3
    for bad in (float("nan"), float("inf"), True):
        with pytest.raises(InvalidInput):
            parse_number(bad, "tonnes")


@pytest.mark.parametrize(
    "locale, value, written",
    [
        ("en", 12000001, "12,000,001"),
        ("de", 12000001, "12.000.001"),
        ("zh_Hans", 12000001, "12,000,001"),
        ("de", 0.0042, "0,0042"),
        ("en", 1e300, "1E300"),
        ("en", 1.5e-7, "1.5E-7"),
        ("de", -3.25, "-3,25"),
    ],
)
def test_numbers_in_messages_are_written_as_the_reader_writes_them(app, locale, value, written):
    with app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
        assert shown(value) == written
