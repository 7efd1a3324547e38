"""The Content-Security-Policy as a real browser enforces it: the scanner (its WebAssembly
decoder included) and the htmx pages run without one violation; and after logout the
browser's Back button shows no batch page."""

import re

import pytest

from tests.browser.test_scan_receive import label_video, log_in, shipped_batch

pytestmark = pytest.mark.browser

# Playwright's init scripts run outside the page's policy, so this listener sees every
# violation the page itself causes.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__violations")


def test_scanning_and_the_batch_page_break_no_rule_of_the_policy(live_server, open_phone, tmp_path):
    code = shipped_batch(live_server)
    phone = open_phone(label_video(live_server, code, tmp_path))
    page = phone.page
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(f"{live_server.url}/login")
    log_in(page, "bob")
    page.wait_for_url(f"{live_server.url}/")
    assert violations(page) == []

    page.click("a.scan-link")
    page.wait_for_url(re.compile(rf"/b/{code}$"))
    page.locator("#action-receive input[name=quantity]").wait_for()
    assert violations(page) == []
    assert [text for text in console if "Content Security Policy" in text] == []


def test_back_after_logout_shows_the_login_not_the_batch(live_server, open_phone):
    code = shipped_batch(live_server)
    page = open_phone().page
    page.goto(f"{live_server.url}/b/{code}")
    log_in(page, "bob")
    page.wait_for_url(re.compile(rf"/b/{code}$"))
    page.locator("#batch-status").wait_for()

    page.click("form[action='/logout'] button")
    page.wait_for_url(re.compile(r"/login$"))
    page.go_back()
    page.wait_for_load_state()
    page.locator("input[name=password]").wait_for()
    assert page.locator("#batch-status").count() == 0
    assert re.search(r"/login\?next=", page.url)
