"""The shared field checks: ids, dates and text at the edge, and fields named in words."""

from datetime import date

import pytest

from circularity import create_app
from circularity.services import fields
from circularity.services.errors import InvalidInput


@pytest.fixture(scope="module", autouse=True)
def request_context():
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    with app.test_request_context():
        yield


@pytest.mark.parametrize("typed", ["1", "42", " 7 ", str(2**31 - 1)])
def test_record_ids(typed):
    assert fields.record_id(typed, "company") == int(typed)


@pytest.mark.parametrize(
    "typed", ["", "0", "-1", str(2**31), str(2**63), "9" * 30, "1.5", "²", "٣", "1e3", None]
)
def test_record_ids_beyond_any_row_are_refused(typed):
    with pytest.raises(InvalidInput) as error:
        fields.record_id(typed, "company")
    assert error.value.field == "company"


@pytest.mark.parametrize("typed", ["2000-01-01", "2025-02-28", "2099-12-31"])
def test_days(typed):
    assert fields.day(typed, "start") == date.fromisoformat(typed)


@pytest.mark.parametrize(
    "typed", ["0001-01-01", "1999-12-31", "2100-01-01", "2025-02-30", "20250101", "²", "", "x" * 99]
)
def test_days_outside_the_records_are_refused(typed):
    with pytest.raises(InvalidInput) as error:
        fields.day(typed, "start")
    assert error.value.field == "start"


@pytest.mark.parametrize("typed", ["a\x00b", "line\x1b[31m", "bell\x07"])
def test_control_characters_are_refused(typed):
    with pytest.raises(InvalidInput):
        fields.optional_text(typed, "carrier", 100)


def test_tabs_line_breaks_and_other_scripts_are_text():
    assert fields.optional_text(" 太仓\tHafen\n ", "carrier", 100) == "太仓\tHafen"


def test_fields_are_named_in_words():
    assert fields.label("distance_km") == "Road distance (km)"
    assert fields.label("outputs[1].quantity") == "Output 2: Quantity"
    assert fields.label("parts[0]") == "Part 1"
    assert InvalidInput("Enter a number.", "max_distance_km").label == "Maximum distance (km)"
