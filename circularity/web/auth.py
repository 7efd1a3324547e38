"""Logging in and out, and each person's own account: password and sessions.

After login a person returns to the page they asked for, so a label scanned with the phone's
camera app leads to the batch once logged in; only a path on this site is followed.

A session is Flask's signed cookie naming the account's id and its session token (Flask-Login's
alternative id, ``User.get_id``). Logging out, "log out on every other device", a new password
and an admin's revocation give the account a new token, so a cookie copied before opens
nothing any more, on any device.
"""

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from circularity.db import get_session
from circularity.extensions import limiter, login_manager, login_rate_limit
from circularity.models import User
from circularity.services import accounts
from circularity.services.errors import ServiceError
from circularity.web.rendering import render

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in to continue.")
login_manager.session_protection = "strong"

#: Tells the browser to forget what it kept of the site (pages, htmx's history) at logout.
CLEAR_SITE_DATA = '"cache", "storage"'


@login_manager.user_loader
def load_user(alternative_id: str) -> User | None:
    """The person this session cookie names, or None once its token has changed."""
    user_id, _sep, token = alternative_id.partition(":")
    return accounts.session_user(get_session(), user_id, token)


def _is_local_path(target: str) -> bool:
    """Whether a browser sent to ``target`` stays on this site.

    Browsers are more forgiving than ``urlsplit``: they drop tabs and line breaks, read ``\\``
    as ``/`` and take ``//host`` (however many slashes) as another site. So the target must
    be one plain path (query allowed) without backslashes, control characters or spaces, and
    its path must stay one once percent-decoded, for any server on the way that decodes it.
    """
    if not target.startswith("/") or target.startswith("//") or _unsafe(target):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:  # such as an unclosed IPv6 bracket
        return False
    path = unquote(parts.path)
    return not (parts.scheme or parts.netloc or path.startswith("//") or _unsafe(path))


def _unsafe(text: str) -> bool:
    """A backslash, or a control, format or separator character (spaces included)."""
    return "\\" in text or any(unicodedata.category(c)[0] in "CZ" for c in text)


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme) goes home."""
    if target and _is_local_path(target):
        return target
    return url_for("home.index")


def _open_session(user: User) -> None:
    """Start a new session for this person: nothing of the old one carries over, the CSRF
    token included (Flask-WTF makes a new one on the next page)."""
    session.clear()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    next_url = request.values.get("next")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(next_url))
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
    _open_session(user)
    return redirect(safe_next(next_url), code=303)


@bp.post("/logout")
@login_required
def logout():
    """End this person's sessions on the server, on every device, not just this cookie."""
    accounts.end_sessions(get_session(), current_user.id)
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    response = redirect(url_for("auth.login"), code=303)
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def _account_page(status: int = 200, error: ServiceError | None = None):
    return render("auth/account.html", status=status, error=error)


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password():
    form = request.form
    try:
        user = accounts.change_password(
            get_session(),
            current_user.id,
            form.get("current_password", ""),
            form.get("new_password", ""),
            form.get("repeat_password", ""),
        )
    except ServiceError as error:
        return _account_page(error.status, error)
    _open_session(user)
    flash(_("Password changed. Your sessions on other devices have ended."))
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/sessions")
@login_required
def end_other_sessions():
    """Log out everywhere else: every session ends, then this one opens again."""
    user = accounts.end_sessions(get_session(), current_user.id)
    _open_session(user)
    flash(_("You are logged out on every other device."))
    return redirect(url_for("auth.account"), code=303)
