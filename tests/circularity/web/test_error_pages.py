"""Friendly 403 and 404 pages in every language: what happened, and what to do next."""

import re

import pytest

from tests.helpers import post

PAGES = {
    "en": (
        "Not found",
        "There is no such page.",
        "Not allowed",
        "Your role may not see or do this.",
    ),
    "de": (
        "Nicht gefunden",
        "Diese Seite gibt es nicht.",
        "Nicht erlaubt",
        "Ihre Rolle darf dies nicht sehen oder tun.",
    ),
    "zh_Hans": ("未找到", "没有此页面。", "无权访问", "您的角色无权查看或执行此操作。"),
}


def section(response) -> str:
    page = response.get_data(as_text=True)
    return re.search(r'<section class="error".*?</section>', page, re.S).group(0)


def heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", section(response)).group(1)


@pytest.mark.parametrize("language", list(PAGES))
def test_a_missing_page_says_so_in_the_readers_language(client, language):
    missing, no_page, _, _ = PAGES[language]
    response = client.get("/no/such/page", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert heading(response) == missing
    assert no_page in section(response)
    assert 'href="/"' in section(response)
    assert f"<title>{missing} ·" in response.get_data(as_text=True)


@pytest.mark.parametrize("language", list(PAGES))
def test_a_page_beyond_the_role_says_so_and_who_to_ask(as_person, language):
    _, _, forbidden, why = PAGES[language]
    response = as_person("alice").get("/carbon/", headers={"Accept-Language": language})
    assert response.status_code == 403
    assert heading(response) == forbidden
    assert why in section(response)
    assert "403 Forbidden" not in response.get_data(as_text=True)


def test_a_batch_no_one_can_see_is_a_404_with_the_services_words(as_person):
    response = as_person("alice").get("/b/" + "0" * 26, headers={"Accept-Language": "de"})
    assert response.status_code == 404
    assert heading(response) == "Nicht gefunden"


def test_other_refusals_keep_their_own_heading(client):
    client.get("/login", headers={"Accept-Language": "de"})
    response = post(client, "/language", {"locale": "fr"}, headers={"Accept-Language": "de"})
    assert response.status_code == 422
    assert heading(response) == "Das hat nicht geklappt"
    assert "Feld: Sprache" in section(response)
