"""Times: stored in UTC, shown and grouped into months in the park's time zone.

The database keeps naive datetimes on SQLite; they are UTC, like everything ``utcnow`` makes.
A month is known by its key, "YYYY-MM", the form the monthly totals and the dashboard use.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from circularity.config import setting


def utcnow() -> datetime:
    return datetime.now(UTC)


def park_timezone() -> ZoneInfo:
    return ZoneInfo(setting("PARK_TIMEZONE"))


def local(moment: datetime) -> datetime:
    """``moment`` in the park's time zone; a naive one is taken as UTC."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(park_timezone())


def local_time(value: datetime | None) -> str:
    """A time as pages show it: park-local, to the minute; nothing for None."""
    if value is None:
        return ""
    return local(value).strftime("%Y-%m-%d %H:%M")


def month_of(moment: datetime) -> str:
    """The key of the park-local calendar month ``moment`` falls in."""
    return local(moment).strftime("%Y-%m")


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def year_month(key: str) -> tuple[int, int]:
    """The (year, month) of a month key."""
    return int(key[:4]), int(key[5:])


def months_up_to(day: date, count: int) -> tuple[str, ...]:
    """The keys of ``count`` months ending with the month of ``day``, oldest first."""
    index = day.year * 12 + day.month - 1
    return tuple(month_key(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1))


def months_of_year(year: int) -> tuple[str, ...]:
    return tuple(month_key(year, m) for m in range(1, 13))


def first_day(key: str) -> date:
    return date.fromisoformat(key + "-01")


def last_day(key: str) -> date:
    return (first_day(key) + timedelta(days=31)).replace(day=1) - timedelta(days=1)
