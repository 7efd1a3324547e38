"""Numbers, masses, dates and times on pages: written as the reader's locale writes them, in
the park's time zone (Asia/Shanghai, UTC+8, no daylight saving), never UTC with microseconds."""

import re
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from circularity import create_app
from circularity.models import Credit
from circularity.services.analysis import tables
from circularity.services.numbers import parse_number
from circularity.services.quantities import format_mass
from circularity.web.filters import local_date, local_time, number, tonnes, waste_code
from tests.helpers import close, history, post, register

# 2024-12-31 17:00 UTC is 2025-01-01 01:00 in Taicang.
NEW_YEAR = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)
NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM


@pytest.mark.parametrize(
    ("locale", "moment", "day", "mass", "figure"),
    [
        ("en", f"Jan 1, 2025, 1:00{NNBSP}AM", "Jan 1, 2025", "1,234.567 t", "12,345.7"),
        ("de", "01.01.2025, 01:00", "01.01.2025", "1.234,567 t", "12.345,7"),
        ("zh_Hans", "2025年1月1日 01:00", "2025年1月1日", "1,234.567 t", "12,345.7"),
    ],
)
def test_each_locale_writes_its_own_dates_and_numbers(app, locale, moment, day, mass, figure):
    with app.test_request_context(), force_locale(locale):
        assert local_time(NEW_YEAR) == moment
        assert local_time(NEW_YEAR.replace(tzinfo=None)) == moment  # naive: UTC, as stored
        assert local_date(NEW_YEAR) == day  # the park's day, not UTC's 31 December
        assert local_date(date(2025, 1, 1)) == day
        assert format_mass(1_234_567_000) == mass
        assert number(12345.67) == figure
        assert local_time(None) == local_date(None) == ""
        assert number(None) == "–"


def test_masses_tonnes_and_figures_keep_their_decimals(app):
    with app.test_request_context(), force_locale("de"):
        assert format_mass(800) == "0,8 kg"
        assert format_mass(9_200_000) == "9,2 t"
        assert format_mass(-1_500) == "-1,5 kg"
        assert tonnes(1_234_500_000) == "1.234,500"
        assert number(2863.90131, 5, trim=True) == "2.863,90131"
        assert number(90.0, 6, trim=True) == "90"
        assert number(0.5, 0) == "0"  # half to even, as Babel rounds
    with app.test_request_context(), force_locale("en"):
        # three decimals of a tonne: half a kilogram rounds to the even kilogram
        assert tonnes(500) == "0.000"
        assert tonnes(1_500) == "0.002"


@pytest.fixture(scope="module")
def plain_app():
    """An app without a park: formatting needs a request, not a database."""
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


@given(grams=st.integers(-(10**14), 10**14), locale=st.sampled_from(["en", "de", "zh_Hans"]))
def test_a_mass_shown_reads_back_as_the_same_mass(plain_app, grams, locale):
    """What a page shows, typed back into a form of the same locale, is the mass shown: exact
    in kilograms, to the kilogram in tonnes."""
    with plain_app.test_request_context(), force_locale(locale):
        text, unit = format_mass(grams).rsplit(" ", 1)
        read = parse_number(text, "quantity")
    scale = {"kg": 1000, "t": 1_000_000}[unit]
    assert abs(read * scale - grams) <= (500 if unit == "t" else 0)
    assert unit == ("t" if abs(grams) >= 1_000_000 else "kg")


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("191202", "19 12 02"),
        ("19 12 02", "19 12 02"),
        ("130205", "13 02 05*"),  # hazardous: the List's asterisk
        ("13 02 05*", "13 02 05*"),
        ("999999", "99 99 99"),  # not in the List: spaced all the same
        ("", ""),
        (None, ""),
    ],
)
def test_list_of_waste_codes_have_one_form(code, shown):
    assert waste_code(code) == shown


def test_the_batch_list_shows_times_in_the_readers_locale(as_person, db_session):
    register(db_session)
    client = as_person("alice")
    german = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert re.search(r"<td>\d\d\.\d\d\.\d{4}, \d\d:\d\d</td>", german)
    chinese = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert re.search(r"<td>\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d</td>", chinese)


def test_credit_times_are_the_parks_not_utc_with_microseconds(as_person, db_session):
    close(db_session, register(db_session), who="alice", operation="R4")
    client = as_person("mia")
    assert post(client, "/carbon/credits/book", {"confirmed": "1"}).status_code == 303
    db_session.rollback()
    credit = db_session.exec(select(Credit)).one()
    pages = [
        client.get(url, headers={"Accept-Language": "de"}).get_data(as_text=True)
        for url in ("/carbon/credits", f"/carbon/credits/{credit.id}")
    ]
    for page in pages:
        assert not re.search(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d", page)
    with client.application.test_request_context(), force_locale("de"):
        assert local_date(credit.closed_at) in pages[0]
        assert local_time(credit.closed_at) in pages[1]
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", pages[1])
    assert re.search(r"\d,\d kg CO2e", pages[0])  # the ledger's figures, the German way


@pytest.mark.parametrize(
    ("locale", "mass", "rate"),
    [("en", "7,043.357", "70.5"), ("de", "7.043,357", "70,5"), ("zh_Hans", "7,043.357", "70.5")],
)
def test_dashboard_table_figures_are_the_readers_the_csv_keeps_one_form(app, locale, mass, rate):
    # In German "7043.357" would read as seven million: a page writes the reader's form, the
    # CSV and the API keep the fixed one (a decimal point, no grouping).
    treated, share = tables.tonnes(7_043_356_734), tables.percent(0.7049)
    assert (treated, share) == ("7043.357", "70.5")
    with app.test_request_context(), force_locale(locale):
        assert (tables.shown(treated), tables.shown(share)) == (mass, rate)
        assert tables.shown("Steelworks") == "Steelworks"


def test_the_german_dashboard_writes_german_numbers(as_person, db_session):
    history(db_session)
    client = as_person("mia")
    german = client.get("/dashboard/?period=2025", headers={"Accept-Language": "de"})
    html = german.get_data(as_text=True)
    # test_dashboard_pages: recycling 58.3 %, 16.8 t finally treated, 6 t of slag landfilled
    assert "58,3 %" in html and "16,800 t" in html and ">6,000</a>" in html
    assert "58.3 %" not in html and "16.800 t" not in html
    csv_file = client.get(
        "/dashboard/indicators.csv?period=2025", headers={"Accept-Language": "de"}
    )
    assert "58.3" in csv_file.get_data(as_text=True)
