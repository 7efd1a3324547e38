"""Translations for templates, looked up once per request.

Flask-Babel's template callables find the request's translations anew for every string,
which on a page of sixty strings costs more than the page's database queries. The
translations of a request do not change while it runs, so they are kept on ``g``.

``_`` in templates is Jinja's "newstyle" gettext (the message is trusted markup, variables are
escaped and ``%%`` is a literal percent sign), written as one call instead of Jinja's two
nested ones, and without formatting a message that has neither variables nor a ``%``: a
batch page calls it sixty times, and that was a tenth of the page.
"""

from flask import Flask, g
from flask_babel import get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup


def _translations():
    try:
        return g._circularity_translations
    except AttributeError:
        g._circularity_translations = get_translations()
        return g._circularity_translations


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """``{{ _("...") }}`` with Jinja's newstyle meaning."""
    text = _translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    if variables or "%" in text:
        return text % variables
    return text


def init_app(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = template_gettext
