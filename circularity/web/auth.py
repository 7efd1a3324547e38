"""Logging in and out. After login a person returns to the page they asked for, so a label
scanned with the phone's camera app leads to the batch once logged in."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from circularity.db import get_session
from circularity.extensions import limiter, login_manager, login_rate_limit
from circularity.models import User
from circularity.services import accounts
from circularity.web.rendering import render

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in to continue.")
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The person of this session, or None once the account is gone."""
    try:
        return get_session().get(User, int(user_id))
    except ValueError:
        return None


def _safe_next(target: str | None) -> str:
    """Only paths on this site; anything else (another host, a scheme) goes home."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    next_url = request.values.get("next")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(next_url))
        return render("auth/login.html", next_url=next_url)
    user = accounts.authenticate(
        get_session(), request.form.get("email", ""), request.form.get("password", "")
    )
    if user is None:
        message = _("Wrong email or password.")
        return render(
            "auth/login.html",
            status=401,
            error=message,
            next_url=next_url,
            email=request.form.get("email", ""),
        )
    login_user(user)
    return redirect(_safe_next(next_url), code=303)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"), code=303)
