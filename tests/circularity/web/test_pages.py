"""The pages people use: each action through its form, and clear answers to bad input."""

import re

import pytest
from sqlmodel import func, select

from circularity.models import Batch, Event
from tests.helpers import company_id, post, register, ship
from tests.hostile import page_forms


def form_fields(html: str, action: str) -> dict:
    """The hidden fields of the form for ``action`` as the page rendered it."""
    form = re.search(rf'<form[^>]*action="[^"]*/{action}"[^>]*>(.*?)</form>', html, re.S).group(1)
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))


def events(db_session) -> int:
    db_session.rollback()  # end the read snapshot; see what the requests committed
    return db_session.exec(select(func.count()).select_from(Event)).one()


def test_register_through_the_form(as_person, db_session):
    client = as_person("alice")
    page = client.get("/batches/new").get_data(as_text=True)
    client_id = re.search(r'name="client_event_id" value="([^"]+)"', page).group(1)
    response = post(
        client,
        "/batches",
        {
            "material": "17 04 05",
            "quantity": "2.5",
            "unit": "t",
            "basis": "estimated",
            "client_event_id": client_id,
        },
    )
    assert response.status_code == 303
    code = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/b/{code}").get_data(as_text=True)
    assert "2.5 t (estimated)" in page
    assert "Batch registered" in page
    assert "17 04 05" in page and "Iron and steel" in page


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"material": "99 99 99", "quantity": "1", "unit": "t", "basis": "weighed"}, "material"),
        ({"material": "170405", "quantity": "lots", "unit": "t", "basis": "weighed"}, "quantity"),
        ({"material": "170405", "quantity": "1", "unit": "m3", "basis": "weighed"}, "density"),
        ({"material": "170405", "quantity": "1", "unit": "t", "basis": ""}, "basis"),
        (
            {"material": "170405", "quantity": "1", "unit": "t", "basis": "weighed"},
            "client_event_id",
        ),
    ],
)
def test_bad_register_forms_name_the_field(as_person, db_session, form, field):
    client = as_person("alice")
    if field != "client_event_id":
        form["client_event_id"] = "abcdefgh1234"
    response = post(client, "/batches", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    if field == "client_event_id":  # no input of its own: the message shows above the form
        assert '<p class="field-error" role="alert" id="form-error">' in html
        assert "(Form token)" in html
    else:
        assert f'<p class="field-error" id="{field}-error" role="alert">' in html
    assert events(db_session) == 0


def test_the_batch_page_offers_exactly_the_actions_allowed_now(as_person, db_session):
    code = register(db_session)
    holder = as_person("alice").get(f"/b/{code}").get_data(as_text=True)
    for action in ("ship", "split", "merge", "close", "correct"):
        assert f'id="action-{action}"' in holder
    assert 'id="action-receive"' not in holder
    ship(db_session, code)
    sender = as_person("alice").get(f"/b/{code}").get_data(as_text=True)
    assert 'id="action-' not in sender
    receiver = as_person("bob").get(f"/b/{code}").get_data(as_text=True)
    assert 'id="action-receive"' in receiver and 'id="action-ship"' not in receiver
    watcher = as_person("mia").get(f"/b/{code}").get_data(as_text=True)
    assert 'id="action-' not in watcher and "History" in watcher


def test_forms_load_when_their_section_opens(as_person, db_session):
    code = register(db_session)
    alice = as_person("alice")
    page = alice.get(f"/b/{code}").get_data(as_text=True)
    assert "<form" not in page.split("<main>", 1)[1].split('id="action-ship"', 1)[1]
    assert f'hx-get="/b/{code}/ship"' in page and f'href="/b/{code}/ship"' in page
    fragment = alice.get(f"/b/{code}/ship", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith("<form") and 'name="destination"' in html
    assert "Recycler" in html and ">Steelworks<" not in html  # not to itself
    own_page = alice.get(f"/b/{code}/close").get_data(as_text=True)
    assert "<html" in own_page and 'name="operation"' in own_page and code in own_page
    merge = alice.get(f"/b/{code}/merge", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "holds no other batch of this material" in merge
    other = register(db_session)
    merge = alice.get(f"/b/{code}/merge", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="batches"' in merge and other[:8] in merge
    ship(db_session, code)
    receiver = as_person("bob").get(f"/b/{code}").get_data(as_text=True)
    assert 'name="quantity"' in receiver  # the receipt is on the page itself


def test_a_form_for_an_action_not_allowed_now_is_refused(as_person, db_session):
    code = register(db_session)
    response = as_person("alice").get(f"/b/{code}/receive")
    assert response.status_code == 403 and "Only staff" in response.get_data(as_text=True)
    assert as_person("bob").get(f"/b/{code}/ship").status_code == 404  # not bob's to see
    ship(db_session, code)
    response = as_person("alice").get(f"/b/{code}/split")
    assert response.status_code == 409 and "in transit" in response.get_data(as_text=True)


def test_a_form_sent_with_an_error_comes_back_open_with_its_values(as_person, db_session):
    code = register(db_session)
    alice = as_person("alice")
    hidden = form_fields(alice.get(f"/b/{code}/ship").get_data(as_text=True), "ship")
    response = post(alice, f"/b/{code}/ship", hidden | {"carrier": "Huayun", "vehicle": "v"})
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 404, 422)
    assert '<details open id="action-ship">' in html and 'value="Huayun"' in html
    assert 'name="destination"' in html and f'hx-get="/b/{code}/close"' in html


def test_ship_receive_split_close_through_forms(as_person, db_session):
    code = register(db_session, quantity="10")
    alice, bob = as_person("alice"), as_person("bob")
    hidden = form_fields(alice.get(f"/b/{code}/ship").get_data(as_text=True), "ship")
    response = post(
        alice,
        f"/b/{code}/ship",
        hidden
        | {
            "destination": str(company_id(db_session, "Recycler")),
            "carrier": "Huayun",
            "vehicle": "苏E·55555",
            "distance_km": "14.2",
        },
    )
    # Shipping cannot be undone: the page first shows what will be recorded.
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Confirm: Ship to another company" in page
    assert "Recycler" in page and "Huayun" in page and "14.2 km" in page
    assert events(db_session) == 1
    confirm = next(f for f in page_forms(page) if f.action.endswith("/ship"))
    assert dict(confirm.fields)["confirmed"] == "1"
    response = post(alice, f"/b/{code}/ship", dict(confirm.fields))
    assert response.status_code == 303
    hidden = form_fields(bob.get(f"/b/{code}").get_data(as_text=True), "receive")
    response = post(bob, f"/b/{code}/receive", hidden | {"quantity": "9950", "unit": "kg"})
    assert response.status_code == 422  # differs from the 10 t sent: a reason is needed
    assert "give the reason" in response.get_data(as_text=True)
    response = post(
        bob, f"/b/{code}/receive", hidden | {"quantity": "9950", "unit": "kg", "reason": "wet"}
    )
    assert response.status_code == 303
    page = bob.get(f"/b/{code}").get_data(as_text=True)
    assert "Discrepancy" in page and "-50 kg" in page and "wet" in page
    hidden = form_fields(bob.get(f"/b/{code}/split").get_data(as_text=True), "split")
    response = post(
        bob,
        f"/b/{code}/split",
        hidden | {"part-0-quantity": "950", "part-0-unit": "kg", "confirmed": "1"},
    )
    assert response.status_code == 303
    hidden = form_fields(bob.get(f"/b/{code}/close").get_data(as_text=True), "close")
    response = post(
        bob,
        f"/b/{code}/close",
        hidden
        | {
            "operation": "R4",
            "output-0-material": "19 12 02",
            "output-0-quantity": "8.5",
            "output-0-unit": "t",
            "output-0-basis": "weighed",
            "confirmed": "1",
        },
    )
    assert response.status_code == 303
    db_session.rollback()  # end the read snapshot; see what the requests committed
    closed = db_session.exec(select(Batch).where(Batch.code == code)).one()
    assert (closed.status, closed.closing_operation) == ("closed", "R4")
    product = db_session.exec(select(Batch).where(Batch.material_code == "191202")).one()
    assert product.mass_g == 8_500_000


def test_a_stale_form_gets_a_conflict_message(as_person, db_session):
    code = register(db_session)
    alice, anna = as_person("alice"), as_person("anna")
    stale = form_fields(anna.get(f"/b/{code}/ship").get_data(as_text=True), "ship")
    fresh = form_fields(alice.get(f"/b/{code}/ship").get_data(as_text=True), "ship")
    details = {
        "destination": str(company_id(db_session, "Cement")),
        "carrier": "c",
        "vehicle": "v",
        "distance_km": "9",
        "confirmed": "1",
    }
    assert post(alice, f"/b/{code}/ship", fresh | details).status_code == 303
    response = post(anna, f"/b/{code}/ship", stale | details)
    assert response.status_code == 409
    assert "changed since you opened it" in response.get_data(as_text=True)
    assert events(db_session) == 2


def test_scan_fallback_accepts_typed_codes(as_person, db_session):
    code = register(db_session)
    client = as_person("alice")
    typed = "-".join(code[i : i + 4] for i in range(0, 26, 4)).lower().replace("1", "l")
    response = client.get("/scan", query_string={"code": typed})
    assert response.status_code == 302 and response.headers["Location"] == f"/b/{code}"
    response = client.get("/scan", query_string={"code": "https://x.test/b/" + code})
    assert response.headers["Location"] == f"/b/{code}"
    response = client.get("/scan", query_string={"code": "NOT-A-CODE"})
    assert response.status_code == 404 and "No batch you can see" in response.get_data(True)


def test_scan_page_is_self_hosted(as_person):
    html = as_person("bob").get("/scan").get_data(as_text=True)
    # Each file under its name with its content's hash (test_static_files.py).
    polyfill = r'src="/static/vendor/barcode-detector-3\.2\.2\.polyfill\.min\.\w{12}\.js"'
    assert re.search(polyfill, html)
    assert re.search(r'data-wasm="/static/vendor/zxing_reader-3\.1\.3\.\w{12}\.wasm"', html)
    assert 'name="viewport" content="width=device-width' in html
    assert "http://" not in html.replace("http://www.w3.org", "")


def test_label_url_after_login_returns_to_the_batch(client, db_session):
    code = register(db_session)
    response = client.get(f"/b/{code}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=%2Fb%2F{code}"
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', login_page).group(1)
    from tests.helpers import PASSWORD

    response = client.post(
        "/login",
        data={
            "email": "alice@park.test",
            "password": PASSWORD,
            "next": f"/b/{code}",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/b/{code}"


def test_unknown_and_foreign_codes_are_404(as_person, db_session):
    code = register(db_session, who="carl")
    assert as_person("alice").get(f"/b/{code}").status_code == 404
    assert as_person("alice").get("/b/" + "0" * 26).status_code == 404
    assert as_person("mia").get(f"/b/{code}").status_code == 200


def test_lowercase_label_urls_redirect_to_the_canonical_one(as_person, db_session):
    code = register(db_session)
    response = as_person("alice").get(f"/b/{code.lower()}")
    assert response.status_code == 302 and response.headers["Location"] == f"/b/{code}"


def test_htmx_filter_gets_the_table_fragment(as_person, db_session):
    register(db_session)
    client = as_person("alice")
    fragment = client.get("/?status=held", headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"]
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="batch-table">')
    full = client.get("/?status=held")
    assert "<html" in full.get_data(as_text=True)


def test_admin_creates_company_and_user(as_person, db_session):
    client = as_person("ada")
    response = post(
        client,
        "/admin/companies",
        {"name": "Paper Mill", "sector": "paper", "lat": "31.47", "lon": "121.15"},
    )
    assert response.status_code == 303
    response = post(
        client, "/admin/companies", {"name": "X", "sector": "s", "lat": "95", "lon": "121"}
    )
    assert response.status_code == 422 and "lat" in response.get_data(as_text=True)
    paper = company_id(db_session, "Paper Mill")
    response = post(
        client,
        "/admin/users",
        {
            "email": "pia@park.test",
            "name": "Pia",
            "password": "long enough pw",
            "role": "staff",
            "company": str(paper),
        },
    )
    assert response.status_code == 303
    response = post(
        client,
        "/admin/users",
        {
            "email": "pia@park.test",
            "name": "Pia",
            "password": "long enough pw",
            "role": "staff",
            "company": str(paper),
        },
    )
    assert response.status_code == 409 and "exists already" in response.get_data(as_text=True)
    pia = post(
        client.application.test_client(),
        "/login",
        {"email": "pia@park.test", "password": "long enough pw"},
    )
    assert pia.status_code == 303


def test_the_material_list_loads_when_needed_and_is_cached(as_person, db_session):
    code = register(db_session)
    client = as_person("alice")
    form = client.get(f"/b/{code}/close", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert form.count("<option value=") < 100  # the 842 codes are not in the close form
    assert 'hx-get="/materials/close"' in form
    options = client.get("/materials/close")
    assert options.headers["Cache-Control"] == "private, max-age=86400"
    html = options.get_data(as_text=True)
    assert html.count("<option") == 842 and 'id="close-materials"' in html
    assert '<option value="13 02 05*">' in html
    assert client.get("/materials/other").status_code == 404
