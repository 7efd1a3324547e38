"""The main pages in German and Chinese, as a real Chromium shows them: the language chosen
with the switcher on the login page (German) or asked for by the browser (Chinese, zh-CN),
every heading translated and none left in English."""

import re

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from tests.browser.test_scan_receive import log_in, shipped_batch
from tests.circularity.web.test_i18n import TRANSLATIONS

pytestmark = pytest.mark.browser

#: Headings each page must show, as their English msgids.
PAGES = {
    "/": ["Batches"],
    "/b/{code}": ["History"],
    "/dashboard/": ["Indicators", "Carbon balance against the path to neutrality"],
    "/market/": ["Market overview", "By material", "Matching runs"],
    "/analysis/": ["Circularity indicators", "Symbiosis network", "Material flows"],
    "/carbon/": ["District carbon balance", "Per year", "Enter a figure"],
}

# The heading's own words, without the <small> beside it (a date range, a code).
HEADINGS = """() => Array.from(document.querySelectorAll("main h1, main h2, main h3"), (h) =>
  Array.from(h.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE)
    .map((n) => n.textContent).join(" ").replace(/\\s+/g, " ").trim())"""


def english_only(language: str) -> set[str]:
    """English msgids whose translation in ``language`` is other words: seeing one of them on
    a page in that language means a heading was left untranslated."""
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalogue = read_po(f, locale=language)
    return {m.id for m in catalogue if isinstance(m.id, str) and m.id and m.string != m.id}


@pytest.fixture
def browser(chromium, live_server):
    """new_page(locale) opens a desktop-sized page whose browser asks for ``locale``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        contexts = []

        def new_page(locale: str):
            context = launched.new_context(locale=locale, viewport={"width": 1200, "height": 900})
            context.set_default_timeout(30_000)
            contexts.append(context)
            return context.new_page()

        yield new_page
        for context in contexts:
            context.close()
        launched.close()


def check_pages(page, server, code: str, language: str) -> None:
    with server.app.test_request_context(), force_locale(language):
        expected = {url: [gettext(h) for h in headings] for url, headings in PAGES.items()}
    untranslated = english_only(language)
    for url, headings in expected.items():
        page.goto(server.url + url.format(code=code))
        assert page.get_attribute("html", "lang") == language.replace("_", "-"), url
        shown = page.evaluate(HEADINGS)
        for heading in headings:
            assert heading in shown, (url, heading, shown)
        assert [h for h in shown if h in untranslated] == [], url


def test_the_main_pages_in_german_chosen_on_the_login_page(live_server, browser):
    code = shipped_batch(live_server)
    page = browser("en-US")
    page.goto(f"{live_server.url}/login")
    assert page.inner_text("main h1") == "Log in"
    page.click("form.languages button[lang=de]")
    page.wait_for_function("document.documentElement.lang === 'de'")
    assert page.inner_text("main h1") == "Anmelden"
    assert page.get_attribute("form.languages button[lang=de]", "aria-current") == "true"
    log_in(page, "mia")
    page.wait_for_url(f"{live_server.url}/")
    check_pages(page, live_server, code, "de")
    page.goto(f"{live_server.url}/b/{code}")
    assert re.search(r"\bunterwegs\b", page.inner_text("#batch-status"))


def test_the_main_pages_in_chinese_as_the_browser_asks(live_server, browser):
    code = shipped_batch(live_server)
    page = browser("zh-CN")
    page.goto(f"{live_server.url}/login")
    assert page.inner_text("main h1") == "登录"
    log_in(page, "mia")
    page.wait_for_url(f"{live_server.url}/")
    check_pages(page, live_server, code, "zh_Hans")
    page.goto(f"{live_server.url}/b/{code}")
    assert page.inner_text("#batch-status") == "运输中"
