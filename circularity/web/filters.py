"""Template filters and tests: masses, numbers, times, List-of-Waste codes and names of keys
(circularity.display) shown the same way on every page, in the reader's language (Babel, with
the locale circularity.web.language chose) and the park's time zone (circularity.times).

Pages show; CSV files and event payloads keep their own fixed, machine-readable forms.
"""

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import Flask
from flask_login import current_user
from sqlalchemy import bindparam
from sqlmodel import select

from circularity.db import get_session, rows
from circularity.display import display_name
from circularity.models import Company
from circularity.roles import can
from circularity.services.analysis.tables import shown
from circularity.services.catalogue import materials
from circularity.services.numbers import current_locale
from circularity.services.quantities import format_mass
from circularity.times import local


def init_app(app: Flask) -> None:
    app.add_template_filter(format_mass, "mass")
    app.add_template_filter(tonnes, "tonnes")
    app.add_template_filter(number, "number")
    app.add_template_filter(shown, "figure")  # a dashboard table's cell (analysis.tables)
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(waste_code, "waste_code")
    app.add_template_filter(display_name, "named")  # {{ batch.status|named("status") }}
    app.add_template_test(can, "able")  # {% if me is able("carbon") %}
    app.context_processor(user_company)


def tonnes(grams: int) -> str:
    """Tonnes with three decimals and no unit, for tables and figures that name it: exact to
    the kilogram, from the integer grams; grouped as the locale groups ("1.234,500")."""
    return format_decimal(Decimal(grams) / 1_000_000, format="#,##0.000", locale=current_locale())


def number(value: float | Decimal | int | None, decimals: int = 1, trim: bool = False) -> str:
    """A figure with ``decimals`` decimals (``trim``: at most that many, trailing zeros
    dropped, for factors as published), grouped as the reader's locale writes numbers; a dash
    for a figure there is none of."""
    if value is None:
        return "–"
    pattern = "#,##0." + ("#" if trim else "0") * decimals if decimals > 0 else "#,##0"
    return format_decimal(Decimal(str(value)), format=pattern, locale=current_locale())


def local_time(value: datetime | None) -> str:
    """A moment as pages show it: in the park's time zone, to the minute, as the reader's
    locale writes date and time ("Dec 4, 2026, 2:05 PM", "04.12.2026, 14:05",
    "2026年12月4日 14:05"); nothing for None. A naive moment is UTC, as the database keeps."""
    if value is None:
        return ""
    moment, locale = local(value), current_locale()
    return _date_and_time(locale).format(
        format_time(moment, "short", locale=locale), format_date(moment, "medium", locale=locale)
    )


def local_date(value: date | datetime | None) -> str:
    """A day as pages show it ("Dec 4, 2026", "04.12.2026", "2026年12月4日"); a moment is
    first taken to the park's time zone, so an evening in UTC is the next day in Taicang."""
    if value is None:
        return ""
    day = local(value).date() if isinstance(value, datetime) else value
    return format_date(day, "medium", locale=current_locale())


def _date_and_time(locale: Locale) -> str:
    """How the locale joins a date ({1}) and a time ({0})."""
    return str(locale.datetime_formats["medium"])


def waste_code(code: str | None) -> str:
    """A List-of-Waste code as the List prints it, the one form pages use: '19 12 02', with
    the asterisk of a hazardous entry ('13 02 05*'). A code not in the List is shown spaced
    the same way."""
    if not code:
        return ""
    key = code.replace(" ", "").rstrip("*")
    entry = materials().get(key)
    if entry is not None:
        return entry.display_code
    return " ".join(key[i : i + 2] for i in range(0, len(key), 2)) if key.isdigit() else code


_COMPANY = select(Company.id, Company.name).where(Company.id == bindparam("id"))


def user_company() -> dict:
    """The logged-in person and their company, for the page header.

    ``me`` is the user itself, not Flask-Login's proxy: a page reads it a dozen times, and
    the proxy looks the user up again on every attribute. The company is its row (db.rows):
    the header shows only its name.
    """
    if not current_user.is_authenticated:
        return {"me": None, "user_company": None}
    me = current_user._get_current_object()
    company = None
    if me.company_id:
        company = rows(get_session(), _COMPANY, {"id": me.company_id}).first()
    return {"me": me, "user_company": company}
