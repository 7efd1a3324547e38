"""Every key a page shows has a name, in every language (circularity.display), and the pages
show names, not keys (in_transit, digital_control, closed_loop_source)."""

import re

import pytest
from flask_babel import force_locale

from circularity import create_app
from circularity.display import NAMES, display_name
from circularity.models import BATCH_STATUSES, INVENTORY_AREAS, JOB_STATUSES, LISTING_STATUSES
from circularity.roles import ROLES
from circularity.services import custody
from circularity.services.carbon import credits
from circularity.services.catalogue import OPERATIONS
from circularity.services.custody.operations import BASES
from circularity.services.market.listings import PERIODS
from mfa import emissions
from tests.helpers import register, ship

KEYS = {
    "status": BATCH_STATUSES,
    "listing": LISTING_STATUSES,
    "role": ROLES,
    "area": INVENTORY_AREAS,
    "route": (*emissions.DISPOSAL_ROUTES, *emissions.PRODUCTION_ROUTES, "road"),
    "factor_kind": emissions.KINDS,
    "credit_run": ("book", "recalculate"),
    "credit_reason": credits.REASONS,
    "job_status": JOB_STATUSES,
    "operation": tuple(name for name in custody.__all__ if name != "new_code"),
    "ledger_role": ("object", "input", "output"),
    "basis": BASES,
    "period": tuple(PERIODS),
    "decision": ("accepted", "rejected"),
    "treatment": tuple(OPERATIONS),
}


@pytest.fixture(scope="module")
def plain_app():
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


def test_the_table_names_exactly_the_keys_the_code_stores():
    assert {vocabulary: set(NAMES[vocabulary]) for vocabulary in KEYS} == {
        vocabulary: set(keys) for vocabulary, keys in KEYS.items()
    }
    assert set(NAMES) == set(KEYS)


def test_treatments_are_named_as_the_directive_words_them():
    assert {code: str(name) for code, name in NAMES["treatment"].items()} == OPERATIONS


@pytest.mark.parametrize("language", ["de", "zh_Hans"])
def test_every_name_is_translated(plain_app, language):
    untranslated = []
    with plain_app.test_request_context(), force_locale(language):
        for vocabulary, names in NAMES.items():
            for key, name in names.items():
                with force_locale("en"):
                    english = str(name)
                if str(name) == english:
                    untranslated.append((vocabulary, key, english))
    assert untranslated == []


def test_names_in_each_language(plain_app):
    expected = {
        "en": ("in transit", "Digital control", "closed-loop source", "company staff"),
        "de": (
            "unterwegs",
            "Digitale Steuerung",
            "Closed-Loop-Quelle",
            "Mitarbeitende eines Unternehmens",
        ),
        "zh_Hans": ("运输中", "数字化管控", "闭环来源", "企业员工"),
    }
    keys = (("in_transit", "status"), ("digital_control", "area"))
    keys += (("closed_loop_source", "route"), ("staff", "role"))
    for language, names in expected.items():
        with plain_app.test_request_context(), force_locale(language):
            assert tuple(display_name(key, vocabulary) for key, vocabulary in keys) == names


def test_an_unknown_key_is_shown_as_it_is(plain_app):
    with plain_app.test_request_context():
        assert display_name("someday", "status") == "someday"
        assert display_name(None, "status") == ""


def words(page: str) -> str:
    """What a reader sees: the text without tags and attribute values."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S))


RAW = re.compile(r"\b(" + "|".join(k for keys in KEYS.values() for k in keys if "_" in k) + r")\b")


@pytest.mark.parametrize("language", ["en", "de", "zh_Hans"])
def test_pages_show_names_not_keys(as_person, db_session, language):
    code = register(db_session, "alice", "2")
    ship(db_session, code, "alice", to="Recycler")
    headers = {"Accept-Language": language.replace("_", "-")}
    pages = {
        "bob": ["/", f"/b/{code}", "/account"],
        "alice": ["/", "/market/"],
        "mia": ["/carbon/", "/carbon/credits", "/carbon/factors/defra-2025", "/carbon/mapping"],
        "ada": ["/admin/"],
    }
    for who, urls in pages.items():
        client = as_person(who)
        for url in urls:
            page = client.get(url, headers=headers)
            assert page.status_code == 200, url
            assert RAW.findall(words(page.get_data(as_text=True))) == [], url


def test_the_batch_page_names_status_basis_and_history_in_german(as_person, db_session):
    code = register(db_session, "alice", "2")
    ship(db_session, code, "alice", to="Recycler")
    page = as_person("bob").get(f"/b/{code}", headers={"Accept-Language": "de"})
    text = words(page.get_data(as_text=True))
    assert re.search(r"\bunterwegs\b", text) and "gewogen" in text
    assert "Erfassung" in text and "Versand" in text
    assert "17 04 05" in text  # the List-of-Waste code as the List prints it
