"""Every message a person reads goes through gettext, and the catalogue is kept current.

The park's staff read Chinese, German and English; English is the first catalogue. This test
re-extracts the messages from the code and the templates and fails when the committed
catalogue misses one, so adding a language is translating a file, not hunting for strings.
"""

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "circularity" / "translations"
KEYWORDS = ["_l", "InvalidInput", "Conflict", "Forbidden", "NotFound", "ServiceError"]


def ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_catalogue_is_current(tmp_path):
    fresh = tmp_path / "messages.pot"
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        "-q",
        "extract",
        "-F",
        "babel.cfg",
        "--no-location",
        "-o",
        str(fresh),
        ".",
    ]
    for keyword in KEYWORDS:
        command += ["-k", keyword]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with open(fresh, "rb") as f:
        extracted = ids(read_po(f))
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        committed = ids(read_po(f))
    assert extracted - committed == set(), "run pybabel extract (see babel.cfg)"
    assert "This batch is %(status)s; nothing more can be done with it." in extracted
    assert "Scan a label" in extracted


def test_english_catalogue_is_complete_and_compiled():
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = ids(read_po(f))
    with open(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po", "rb") as f:
        english = ids(read_po(f))
    with open(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = ids(read_mo(f))
    assert template <= english
    # English needs no msgstr (gettext falls back to the msgid); the compiled catalogue
    # must still come from this .po, not from an older one.
    assert compiled <= english


def test_service_messages_are_translated_in_a_request(app):
    from flask_babel import force_locale

    from circularity.services.errors import Conflict

    with app.test_request_context(), force_locale("en"):
        error = Conflict(
            "This batch is %(status)s; nothing more can be done with it.", status="closed"
        )
    assert error.message == "This batch is closed; nothing more can be done with it."


def test_templates_use_jinjas_newstyle_gettext(app):
    """Flask-Babel installs Jinja's newstyle gettext: the message is trusted markup,
    variables are escaped, %% is a percent sign; the same in a template without escaping."""
    html = app.jinja_env.from_string(
        '{{ _("<b>%(who)s</b> shipped", who="<i>A & B</i>") }}|'
        '{{ _("100%% recycled") }}|{{ _("Ship") }}|'
        '{{ ngettext("%(num)d batch", "%(num)d batches", 2) }}'
    )
    text = app.jinja_env.overlay(autoescape=False).from_string(
        '{{ _("<b>%(who)s</b>", who="<i>") }}|{{ _("Ship") }}'
    )
    with app.test_request_context():
        assert html.render() == (
            "<b>&lt;i&gt;A &amp; B&lt;/i&gt;</b> shipped|100% recycled|Ship|2 batches"
        )
        assert text.render() == "<b><i></b>|Ship"
