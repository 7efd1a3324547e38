"""Every message a person reads goes through gettext, and the catalogues are complete and current.

The park's staff read Chinese, German and English. These tests re-extract the messages from the
code and the templates and fail when the committed template differs from them, when a German or
Chinese message is missing, fuzzy or drops a placeholder, and when a compiled catalogue is not
the one its .po file gives (docs/languages.md says how to regenerate them).
"""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "circularity" / "translations"
KEYWORDS = ["_l", "InvalidInput", "Conflict", "Forbidden", "NotFound", "ServiceError"]
TRANSLATED = ("de", "zh_Hans")


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
    assert extracted - committed == set(), "run pybabel extract (docs/languages.md)"
    assert committed - extracted == set(), "messages no longer in the code: run pybabel extract"
    assert "This batch is %(status)s; nothing more can be done with it." in extracted
    assert "Scan a label" in extracted


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def compiled(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as f:
        return read_mo(f)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language):
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = ids(read_po(f))
    po = catalogue(language)
    assert ids(po) == template, "run pybabel update (docs/languages.md)"
    untranslated = [m.id for m in po if m.id and not all(_strings(m))]
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert untranslated == [], untranslated
    assert fuzzy == [], fuzzy
    # Babel's checks: the same %(name)s placeholders as the English, as many plural forms as
    # the language has (Chinese one, German two).
    problems = [(m.id, [str(e) for e in errors]) for m, errors in po.check()]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogue_is_the_po_file(language):
    po, mo = catalogue(language), compiled(language)
    given = {_key(m.id): _strings(m) for m in po if m.id}
    assert {_key(m.id): _strings(m) for m in mo if m.id} == given, "run pybabel compile"


def test_plural_forms_follow_each_language():
    assert catalogue("de").num_plurals == 2
    assert catalogue("zh_Hans").num_plurals == 1
    batches = ("%(num)d batch", "%(num)d batches")
    assert catalogue("de")[batches].string == ("%(num)d Charge", "%(num)d Chargen")
    assert catalogue("zh_Hans")[batches].string == ("%(num)d 个批次",)


def _key(msgid) -> str | tuple:
    return msgid if isinstance(msgid, str) else tuple(msgid)


def _strings(message) -> tuple:
    return tuple(message.string) if isinstance(message.string, list | tuple) else (message.string,)


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
