"""The languages circularity speaks, and which one a browser's Accept-Language asks for.

The park's staff read Chinese, its many German companies German, visitors English. Each
language is a catalogue in circularity/translations named by its Babel locale; ``zh_Hans`` is
Simplified Chinese, written as mainland China and Singapore write it.

Browsers name languages by BCP 47 tags (``zh-CN``, ``de-AT``, ``zh-Hans-CN``), which Werkzeug's
``best_match`` compares with the catalogue names as plain strings, so ``zh-CN,zh;q=0.9,en``
reaches English. :func:`best_language` compares primary subtags instead: any German is German,
any Chinese is Simplified Chinese (a reader of traditional characters reads simplified ones far
better than English), and the first language the browser ranks highest that we have wins.
docs/languages.md describes the whole choice.
"""

from collections.abc import Iterable

#: Each language by its catalogue, named as its own readers name it (the switcher shows these).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "zh_Hans": "简体中文",
}
DEFAULT = "en"

#: A BCP 47 primary subtag (what comes before the first "-") and the catalogue that serves it.
_BY_PRIMARY_SUBTAG = {"en": "en", "de": "de", "zh": "zh_Hans"}


def best_language(accepted: Iterable[tuple[str, float]]) -> str | None:
    """The catalogue for the first of ``accepted`` (tag and quality, highest quality first, as
    Werkzeug's ``request.accept_languages`` yields them) that we have; None when none is.

    A quality of 0 means "not this one" (RFC 9110) and is skipped; so is ``*``, which leaves
    the choice to us.
    """
    for tag, quality in accepted:
        if quality <= 0:
            continue
        primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
        if primary in _BY_PRIMARY_SUBTAG:
            return _BY_PRIMARY_SUBTAG[primary]
    return None


def html_lang(language: str) -> str:
    """The language as HTML's ``lang`` attribute writes it: ``zh-Hans``, not ``zh_Hans``."""
    return language.replace("_", "-")
