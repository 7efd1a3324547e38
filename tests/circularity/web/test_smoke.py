from tests.helpers import new_id, person


def test_register_then_page(db_session, as_person):
    from circularity.services import custody

    alice = person(db_session, "alice")
    outcome = custody.register(
        db_session,
        alice,
        material="17 04 05",
        quantity_value="2.5",
        unit="t",
        basis="weighed",
        client_event_id=new_id(),
    )
    client = as_person("alice")
    page = client.get(f"/b/{outcome.primary_code}")
    assert page.status_code == 200
    assert "2.5 t" in page.get_data(as_text=True)
