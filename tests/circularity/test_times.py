"""Times in the park's zone (Asia/Shanghai, UTC+8 all year) and month keys, checked by hand."""

from datetime import UTC, date, datetime

from circularity import times


def test_a_utc_evening_is_the_next_local_day_and_month():
    # 2024-12-31 17:00 UTC is 2025-01-01 01:00 in Shanghai.
    evening = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)
    assert times.local_time(evening) == "2025-01-01 01:00"
    assert times.month_of(evening) == "2025-01"


def test_naive_times_are_utc():
    assert times.local_time(datetime(2024, 12, 31, 17, 0)) == "2025-01-01 01:00"
    assert times.local_time(None) == ""


def test_the_park_time_zone_is_the_apps(app):
    app.config["PARK_TIMEZONE"] = "Europe/Berlin"
    with app.app_context():
        assert times.local_time(datetime(2025, 7, 1, 12, 0, tzinfo=UTC)) == "2025-07-01 14:00"


def test_twelve_months_run_back_over_the_new_year():
    last_12 = times.months_up_to(date(2025, 3, 15), 12)
    assert last_12[0] == "2024-04" and last_12[8:10] == ("2024-12", "2025-01")
    assert last_12[-1] == "2025-03" and len(last_12) == 12
    assert times.months_of_year(2024)[::11] == ("2024-01", "2024-12")


def test_first_and_last_days_of_a_month():
    assert times.first_day("2024-02") == date(2024, 2, 1)
    assert times.last_day("2024-02") == date(2024, 2, 29)  # a leap year
    assert times.last_day("2025-12") == date(2025, 12, 31)
    assert times.year_month("2025-03") == (2025, 3)
