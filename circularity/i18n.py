"""Translations for templates, looked up once per request.

Flask-Babel's template callables find the request's translations anew for every string,
which on a page of sixty strings costs more than the page's database queries. The
translations of a request do not change while it runs, so they are kept on ``g``.
"""

from flask import Flask, g
from flask_babel import get_translations


def _translations():
    try:
        return g._circularity_translations
    except AttributeError:
        g._circularity_translations = get_translations()
        return g._circularity_translations


def init_app(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
