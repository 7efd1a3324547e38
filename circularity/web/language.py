"""The language and time zone of every page, and the switcher that changes the language.

A page is in the language its reader chose: a signed-in person's setting (``User.locale``),
else the choice made on this device before (the ``language`` cookie, which the switcher sets
also before login, so the login page itself can be read), else the first language the
browser's Accept-Language asks for that we have (``circularity.i18n.best_language``), else
English. Times are shown in the park's time zone (``PARK_TIMEZONE``), whoever reads them.

The cookie lives apart from the session: logging in and out clears the session, and the
language should stay as chosen. Pages are never cached (``Cache-Control: no-store``, web.edge),
so no cache can hand one reader's language to another.
"""

from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from circularity.config import setting
from circularity.db import get_session
from circularity.extensions import babel
from circularity.i18n import DEFAULT, LANGUAGES, best_language, html_lang
from circularity.services import accounts
from circularity.web.auth import safe_next

bp = Blueprint("language", __name__)

COOKIE = "language"
#: A year: the choice is remembered like a preference, not like a session.
COOKIE_MAX_AGE = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=park_timezone)
    app.register_blueprint(bp)
    app.context_processor(switcher)


def select_locale() -> str | None:
    """The catalogue for this request (see the module's docstring for the order); None (the
    default, English) outside a request, for the command line."""
    if not has_request_context():
        return None
    user = current_user
    if user and user.is_authenticated and user.locale in LANGUAGES:
        return user.locale
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return best_language(request.accept_languages) or DEFAULT


def park_timezone() -> str:
    """Flask-Babel's time zone: the park's, so its date and time formatting agrees with
    ``circularity.times``."""
    return setting("PARK_TIMEZONE")


def switcher() -> dict:
    """What base.html's switcher and ``<html lang>`` need: the languages, the page's, and the
    address to come back to (a page sent by POST has none to come back to: the start page)."""
    if not has_request_context():
        return {}
    current = str(get_locale() or DEFAULT)
    here = request.full_path.rstrip("?") if request.method == "GET" else url_for("home.index")
    return {
        "languages": LANGUAGES,
        "language": current,
        "html_lang": html_lang(current),
        "here": here,
    }


@bp.post("/language")
def choose():
    """Switch the language: a signed-in person's setting is saved (``accounts.set_locale``,
    which refuses a language we do not have); anyone's choice is kept in the cookie for this
    device. An empty choice follows the browser again. Back to the page it was made on."""
    locale = request.form.get("locale", "")
    if current_user.is_authenticated:
        locale = accounts.set_locale(get_session(), current_user.id, locale).locale
    else:
        locale = accounts.checked_locale(locale)
    response = redirect(safe_next(request.form.get("next")), code=303)
    if locale is None:
        response.delete_cookie(COOKIE, samesite="Lax", secure=_secure(), httponly=True)
    else:
        response.set_cookie(
            COOKIE,
            locale,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            secure=_secure(),
            httponly=True,
        )
    return response


def _secure() -> bool:
    return bool(current_app.config["SESSION_COOKIE_SECURE"])
