"""Template filters and tests: masses, times and roles shown the same way on every page."""

from flask import Flask
from flask_login import current_user
from sqlalchemy import bindparam
from sqlmodel import select

from circularity.db import get_session, rows
from circularity.models import Company
from circularity.roles import can
from circularity.services.quantities import format_mass, format_tonnes
from circularity.times import local_time


def init_app(app: Flask) -> None:
    app.add_template_filter(format_mass, "mass")
    app.add_template_filter(format_tonnes, "tonnes")
    app.add_template_filter(local_time, "local_time")
    app.add_template_test(can, "able")  # {% if me is able("carbon") %}
    app.context_processor(user_company)


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
