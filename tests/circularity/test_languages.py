"""Which catalogue a browser's Accept-Language reaches (circularity.i18n.best_language), and a
person's own choice of language (accounts.set_locale)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from circularity.i18n import LANGUAGES, best_language, html_lang
from circularity.services import accounts
from circularity.services.errors import InvalidInput
from tests.helpers import person


def accepted(header: str) -> LanguageAccept:
    """The header as Werkzeug gives it to a view (request.accept_languages)."""
    return parse_accept_header(header, LanguageAccept)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # Chinese in every form a browser in the park sends it
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        ("zh-CN,zh;q=0.9,en", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh_CN", "zh_Hans"),
        ("ZH-cn", "zh_Hans"),
        # Traditional characters: Simplified Chinese is read far better than English
        ("zh-TW,zh;q=0.9", "zh_Hans"),
        ("zh-Hant-HK", "zh_Hans"),
        # German, wherever it is spoken
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("de-AT", "de"),
        ("de-CH,fr-CH;q=0.9", "de"),
        ("de", "de"),
        # English
        ("en-US,en;q=0.9", "en"),
        ("en-GB", "en"),
        # the highest quality wins, whatever the order written
        ("en;q=0.5,de;q=0.9", "de"),
        ("en;q=0.8,zh-CN", "zh_Hans"),
        # a language we do not have is passed over for the next one
        ("fr-FR,fr;q=0.9,de;q=0.8,en;q=0.7", "de"),
        ("ja,zh-CN;q=0.5", "zh_Hans"),
        # q=0 refuses a language
        ("zh;q=0,de", "de"),
    ],
)
def test_accept_language_reaches_the_catalogue(header, expected):
    assert best_language(accepted(header)) == expected


@pytest.mark.parametrize("header", ["", "*", "fr, ja", "zh;q=0", "x" * 300, ";;;,,q=", "-de"])
def test_nothing_we_have_leaves_the_choice_to_the_default(header):
    assert best_language(accepted(header)) is None


@given(st.text(max_size=200))
def test_any_header_reaches_a_catalogue_we_have_or_none(header):
    assert best_language(accepted(header)) in (*LANGUAGES, None)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["de", "de-AT", "zh-CN", "zh", "en-US", "fr", "ja"]), st.integers(0, 10)
        ),
        max_size=6,
    )
)
def test_the_first_language_of_the_highest_quality_we_have_wins(entries):
    header = ",".join(f"{tag};q={q / 10}" for tag, q in entries)
    ranked = sorted((e for e in entries if e[1] > 0), key=lambda e: -e[1])  # stable: order kept
    ours = [tag for tag, _ in ranked if tag.split("-")[0] in ("de", "zh", "en")]
    expected = {"de": "de", "zh": "zh_Hans", "en": "en"}[ours[0].split("-")[0]] if ours else None
    assert best_language(accepted(header)) == expected


def test_werkzeugs_own_matching_would_have_sent_chinese_to_english():
    """Why best_language exists: Werkzeug compares tags with catalogue names as strings."""
    header = accepted("zh-CN,zh;q=0.9,en")
    assert header.best_match(list(LANGUAGES), default="en") == "en"
    assert best_language(header) == "zh_Hans"


def test_html_writes_language_tags_with_hyphens():
    assert [html_lang(code) for code in LANGUAGES] == ["en", "de", "zh-Hans"]


def test_a_person_chooses_a_language_and_goes_back_to_the_browsers(app, db_session):
    alice = person(db_session, "alice")
    assert alice.locale is None
    assert accounts.set_locale(db_session, alice.id, "zh_Hans").locale == "zh_Hans"
    db_session.expire_all()
    assert person(db_session, "alice").locale == "zh_Hans"
    assert accounts.set_locale(db_session, alice.id, "").locale is None
    assert accounts.set_locale(db_session, alice.id, None).locale is None


@pytest.mark.parametrize("value", ["fr", "zh-CN", "zh_hans", "DE", "en\x00", "x" * 1000])
def test_a_language_we_do_not_have_is_refused_and_nothing_changes(app, db_session, value):
    alice = person(db_session, "alice")
    accounts.set_locale(db_session, alice.id, "de")
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        accounts.set_locale(db_session, alice.id, value)
    assert refused.value.field == "locale"
    assert "English, Deutsch, 简体中文" in refused.value.message
    db_session.expire_all()
    assert person(db_session, "alice").locale == "de"
