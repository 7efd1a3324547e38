"""The language of a page: the person's setting, else this device's choice, else the browser's
Accept-Language, else English; the switcher on every page, before login too."""

import re

from circularity.web.language import COOKIE
from tests.helpers import csrf_token, login, person, post

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en"}


def heading(page: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).strip()


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def switch(client, locale: str, next_url: str = "/login"):
    return post(client, "/language", {"locale": locale, "next": next_url})


def test_the_browser_decides_before_anyone_chooses(client):
    assert heading(client.get("/login").get_data(as_text=True)) == "Log in"
    page = client.get("/login", headers=CHINESE).get_data(as_text=True)
    assert heading(page) == "登录"
    assert html_lang(page) == "zh-Hans"
    german = client.get("/login", headers={"Accept-Language": "de-CH,en;q=0.5"})
    assert heading(german.get_data(as_text=True)) == "Anmelden"
    assert german.headers["Cache-Control"] == "no-store"


def test_the_login_page_offers_every_language_in_its_own_words(client):
    page = client.get("/login").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/language".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form
    assert re.findall(r'value="(\w+)" lang="([\w-]+)"[^>]*>([^<]+)<', form) == [
        ("en", "en", "English"),
        ("de", "de", "Deutsch"),
        ("zh_Hans", "zh-Hans", "简体中文"),
    ]
    assert 'value="en" lang="en" aria-current="true"' in form


def test_a_visitor_switches_before_login_and_it_stays_after_login(client):
    answer = switch(client, "de")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=de;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    # the cookie outranks the browser, which asks for Chinese
    assert heading(client.get("/login", headers=CHINESE).get_data(as_text=True)) == "Anmelden"
    login(client, "alice")
    assert heading(client.get("/").get_data(as_text=True)) == "Chargen"


def test_the_switch_is_a_form_with_its_csrf_token(client):
    client.get("/login")
    answer = client.post("/language", data={"locale": "de", "next": "/login"})
    assert answer.status_code == 400
    assert COOKIE not in answer.headers.get("Set-Cookie", "")


def test_a_signed_in_persons_choice_is_saved_and_follows_them(app, client, db_session):
    login(client, "alice")
    answer = switch(client, "zh_Hans", "/?status=held")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/?status=held"
    db_session.expire_all()
    assert person(db_session, "alice").locale == "zh_Hans"
    assert heading(client.get("/").get_data(as_text=True)) == "批次"

    # On another device (no cookie), with a German browser, the setting still wins.
    elsewhere = login(app.test_client(), "alice")
    page = elsewhere.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert heading(page) == "批次"


def test_the_account_page_shows_and_changes_the_setting(app, client, db_session):
    login(client, "alice")
    page = client.get("/account").get_data(as_text=True)
    section = re.search(r'<section id="language">.*?</section>', page, re.S).group(0)
    assert '<option value="" selected>' in section
    switch(client, "de", "/account")
    section = re.search(
        r'<section id="language">.*?</section>', client.get("/account").get_data(as_text=True), re.S
    ).group(0)
    assert '<option value="de" lang="de" selected>Deutsch</option>' in section
    assert "Sprache" in section

    # "As the browser asks": the setting and this device's choice are both forgotten.
    answer = switch(client, "", "/account")
    assert f"{COOKIE}=;" in answer.headers["Set-Cookie"]
    db_session.expire_all()
    assert person(db_session, "alice").locale is None
    page = client.get("/account", headers=CHINESE).get_data(as_text=True)
    assert heading(page) == "您的账户"


def test_logging_out_keeps_this_devices_language(client):
    login(client, "bob")
    switch(client, "de", "/")
    post(client, "/logout")
    assert heading(client.get("/login").get_data(as_text=True)) == "Anmelden"


def test_a_language_we_do_not_have_is_refused_by_name(client, db_session):
    login(client, "alice")
    answer = switch(client, "fr", "/")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Choose one of the languages offered: English, Deutsch, 简体中文." in page
    assert "Language" in page and "locale" not in re.sub(r"<[^>]+>", "", page).split("Field")[-1]
    db_session.expire_all()
    assert person(db_session, "alice").locale is None


def test_only_a_path_on_this_site_is_followed_back(client):
    csrf_token(client)
    for target in ("https://elsewhere.example/", "//elsewhere.example", "javascript:alert(1)"):
        answer = switch(client, "de", target)
        assert answer.headers["Location"] == "/"
