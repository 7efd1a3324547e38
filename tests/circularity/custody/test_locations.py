"""GLNs: 13 digits with their check digit, one company each, set by an admin; the URIs the
EPCIS export names sites, parties, carriers and batches by."""

import pytest

from circularity.services.custody import locations
from circularity.services.errors import Conflict, InvalidInput, NotFound
from tests.helpers import company_id, post

# The check digit of 952000000001: its digits from the right, 1 0 0 0 0 0 0 0 0 2 5 9, weighted
# 3 1 3 1 …, sum to 3·1 + 1·2 + 3·5 + 1·9 = 29; 30 − 29 = 1.
GLN = "9520000000011"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [(GLN, GLN), (" 952 0000 000011 ", GLN), ("952-0000-00001-1", GLN), ("", None), (None, None)],
)
def test_a_gln_is_read_as_typed(typed, stored):
    assert locations.parse_gln(typed) == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("9520000000012", "should be 1"),
        ("952000000001", "13 digits"),
        ("95200000000111", "13 digits"),
        ("952000000001x", "13 digits"),
        ("٩٥٢٠٠٠٠٠٠٠٠١١", "13 digits"),  # Arabic-Indic digits are digits, not a GLN's
    ],
)
def test_a_wrong_gln_is_refused_naming_the_field(typed, says):
    with pytest.raises(InvalidInput) as info:
        locations.parse_gln(typed)
    assert info.value.field == "gln" and says in info.value.message


def test_one_gln_one_company(db_session):
    steel, recycler = company_id(db_session, "Steelworks"), company_id(db_session, "Recycler")
    assert locations.set_company_gln(db_session, steel, GLN).gln == GLN
    with pytest.raises(Conflict):
        locations.set_company_gln(db_session, recycler, GLN)
    assert locations.set_company_gln(db_session, steel, GLN).gln == GLN  # the same again
    assert locations.set_company_gln(db_session, steel, "").gln is None
    assert locations.set_company_gln(db_session, recycler, GLN).gln == GLN


@pytest.mark.parametrize("company", ["0", "-1", str(2**63), "x", None])
def test_an_unknown_company_is_not_found(db_session, company):
    with pytest.raises(NotFound):
        locations.set_company_gln(db_session, company, GLN)


def test_uris():
    base = "https://park.example/"
    assert locations.site_uri(base, 3, None) == "https://park.example/epcis/sites/3"
    assert locations.site_uri(base, 3, GLN) == f"https://id.gs1.org/414/{GLN}"
    assert locations.party_uri(base, 3, None) == "https://park.example/epcis/parties/3"
    assert locations.party_uri(base, 3, GLN) == f"https://id.gs1.org/417/{GLN}"
    assert locations.carrier_uri(base, " Huayun / 华运 ") == (
        "https://park.example/epcis/carriers/Huayun%20%2F%20%E5%8D%8E%E8%BF%90"
    )
    assert locations.batch_uri(base, "ABC") == "https://park.example/b/ABC"


def test_an_admin_sets_a_gln_in_the_company_list(as_person, db_session):
    client = as_person("ada")
    steel = company_id(db_session, "Steelworks")
    page = client.get("/admin/").get_data(as_text=True)
    assert f'action="/admin/companies/{steel}/gln"' in page
    response = post(client, f"/admin/companies/{steel}/gln", {"gln": "952 0000 000011"})
    assert response.status_code == 303
    page = client.get("/admin/").get_data(as_text=True)
    assert f'value="{GLN}"' in page
    wrong = post(client, f"/admin/companies/{steel}/gln", {"gln": "9520000000012"})
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "GLN (Global Location Number)" in text and 'value="9520000000012"' in text
    assert post(client, "/admin/companies/999999/gln", {"gln": GLN}).status_code == 404


def test_only_admins_set_a_gln(as_person, db_session):
    steel = company_id(db_session, "Steelworks")
    for name in ("mia", "alice"):
        client = as_person(name)
        assert post(client, f"/admin/companies/{steel}/gln", {"gln": GLN}).status_code == 403
