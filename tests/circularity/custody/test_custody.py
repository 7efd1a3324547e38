"""The custody rules: who acts, what moves, and that mass is never created or destroyed."""

import contextlib
import json

import pytest
from sqlmodel import func, select

from circularity.models import Batch, Event, EventBatch
from circularity.services import custody
from circularity.services.custody import access, operations
from circularity.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.helpers import close, company_id, new_id, person, receive, register, ship


def batch(session, code) -> Batch:
    session.expire_all()
    return session.exec(select(Batch).where(Batch.code == code)).one()


def event_count(session) -> int:
    return session.exec(select(func.count()).select_from(Event)).one()


def test_register_records_an_epcis_object_event(db_session):
    code = register(db_session, quantity="2.5", unit="m3", density="1200", basis="estimated")
    b = batch(db_session, code)
    assert (b.mass_g, b.basis, b.status, b.material_code) == (
        3_000_000,
        "estimated",
        "held",
        "170405",
    )
    event = db_session.exec(select(Event)).one()
    payload = json.loads(event.payload)
    assert payload["type"] == "ObjectEvent" and payload["action"] == "ADD"
    assert payload["bizStep"] == "commissioning"
    assert payload["eventTimeZoneOffset"] == "+08:00"
    assert payload["quantityList"] == [
        {"epcClass": f"urn:circularity:batch:{code}", "quantity": 3000.0, "uom": "KGM"}
    ]


def test_label_codes_are_random_128_bit_and_not_row_ids(db_session, monkeypatch):
    codes = [register(db_session) for _ in range(20)]
    assert len(set(codes)) == 20
    assert all(access.CODE_PATTERN.match(code) for code in codes)
    assert len({c[:6] for c in codes}) == 20  # no shared prefix, as a counter would leave
    # A code is the 128 random bits the system's CSPRNG gave, in Crockford base32.
    drawn = []

    def token_bytes(n):
        drawn.append(n)
        return bytes(range(1, 17))

    monkeypatch.setattr(operations.secrets, "token_bytes", token_bytes)
    code = custody.new_code()
    assert drawn == [16]
    value = 0
    for char in code:
        value = value * 32 + operations.CROCKFORD.index(char)
    assert value == int.from_bytes(bytes(range(1, 17)), "big")


def test_ship_and_receive_move_the_batch(db_session):
    code = register(db_session, quantity="10")
    ship(db_session, code)
    b = batch(db_session, code)
    assert (b.status, b.company_id) == ("in_transit", company_id(db_session, "Steelworks"))
    assert b.destination_company_id == company_id(db_session, "Recycler")
    receive(db_session, code, quantity="10")
    b = batch(db_session, code)
    assert (b.status, b.company_id, b.destination_company_id) == (
        "held",
        company_id(db_session, "Recycler"),
        None,
    )


def test_a_weighed_difference_is_a_discrepancy_with_a_reason(db_session):
    code = register(db_session, quantity="10", basis="estimated")
    ship(db_session, code)
    with pytest.raises(InvalidInput) as error:
        receive(db_session, code, quantity="9.8")
    assert error.value.field == "reason"
    assert batch(db_session, code).status == "in_transit"  # nothing was written
    receive(db_session, code, quantity="9.8", reason="moisture loss")
    b = batch(db_session, code)
    assert b.mass_g == 9_800_000 and b.basis == "weighed"
    payload = json.loads(
        db_session.exec(select(Event).where(Event.operation == "receive")).one().payload
    )
    assert payload["circ:discrepancy"] == {
        "sentKg": "10000",
        "receivedKg": "9800",
        "differenceKg": "-200",
        "reason": "moisture loss",
    }
    # The sent mass is still on record in the shipping event: nothing was overwritten.
    shipped = json.loads(
        db_session.exec(select(Event).where(Event.operation == "ship")).one().payload
    )
    assert shipped["quantityList"][0]["quantity"] == 10000


def test_only_the_holder_acts(db_session):
    code = register(db_session)
    with pytest.raises(NotFound):  # bob's company cannot even see alice's held batch
        ship(db_session, code, who="bob", to="Cement")
    with pytest.raises(Forbidden):  # the coordinator sees it but does not hold it
        custody.ship(
            db_session,
            person(db_session, "cora"),
            code,
            destination_company_id=company_id(db_session, "Cement"),
            carrier="x",
            vehicle="y",
            distance_km="1",
            client_event_id=new_id(),
        )
    ship(db_session, code)
    with pytest.raises(Conflict):  # in transit: the sender no longer acts
        close(db_session, code, who="alice")
    with pytest.raises(NotFound):  # Cement is not the receiver and cannot see it
        receive(db_session, code, who="carl")
    receive(db_session, code, who="bob")
    close(db_session, code, who="bob")
    with pytest.raises(Conflict):
        close(db_session, code, who="bob")


def test_staff_see_their_batches_and_those_shipped_to_them(db_session):
    from circularity.services.custody import reads

    own = register(db_session, who="alice")
    sent = register(db_session, who="alice")
    ship(db_session, sent, to="Recycler")
    carls = register(db_session, who="carl")
    seen = {b.code for b in reads.list_batches(db_session, person(db_session, "bob"))[0]}
    assert seen == {sent}
    seen = {b.code for b in reads.list_batches(db_session, person(db_session, "alice"))[0]}
    assert seen == {own, sent}  # alice still sees what her company shipped
    seen = {b.code for b in reads.list_batches(db_session, person(db_session, "mia"))[0]}
    assert seen == {own, sent, carls}


def test_opening_a_batch_follows_the_same_visibility_as_the_lists(db_session):
    """get_batch decides in Python what visible_batches decides in SQL; both must agree for
    every person and every batch: held, in transit, handled in the past, never touched."""
    from circularity.services.custody import reads

    own = register(db_session, who="alice")
    onward = register(db_session, who="alice")
    ship(db_session, onward, to="Recycler")
    receive(db_session, onward, who="bob")
    ship(db_session, onward, to="Cement", who="bob")  # alice and bob handled it; carl receives it
    in_transit = register(db_session, who="carl")
    ship(db_session, in_transit, to="Steelworks", who="carl")
    codes = {own, onward, in_transit}
    expected = {
        "alice": {own, onward, in_transit},
        "anna": {own, onward, in_transit},
        "bob": {onward},
        "carl": {onward, in_transit},
        "cora": codes,
        "mia": codes,
        "ada": codes,
    }
    for name, visible in expected.items():
        user = person(db_session, name)
        listed = {b.code for b in reads.list_batches(db_session, user)[0]}
        opened = set()
        for code in codes:
            with contextlib.suppress(NotFound):
                opened.add(access.get_batch(db_session, user, code).code)
        assert listed == opened == visible, name


def test_split_keeps_the_remainder_in_the_batch(db_session):
    code = register(db_session, quantity="10")
    outcome = custody.split(
        db_session,
        person(db_session, "alice"),
        code,
        parts=[("4", "t"), ("3500", "kg")],
        client_event_id=new_id(),
    )
    parts = [batch(db_session, c) for c in outcome.batch_codes[1:]]
    assert [p.mass_g for p in parts] == [4_000_000, 3_500_000]
    assert batch(db_session, code).mass_g == 2_500_000  # 10 − 4 − 3.5
    with pytest.raises(InvalidInput) as error:
        custody.split(
            db_session,
            person(db_session, "alice"),
            code,
            parts=[("3", "t")],
            client_event_id=new_id(),
        )
    assert error.value.field == "parts"
    assert batch(db_session, code).mass_g == 2_500_000


def test_split_of_everything_consumes_the_batch(db_session):
    code = register(db_session, quantity="2")
    custody.split(
        db_session,
        person(db_session, "alice"),
        code,
        parts=[("1", "t"), ("1", "t")],
        client_event_id=new_id(),
    )
    assert (batch(db_session, code).status, batch(db_session, code).mass_g) == ("consumed", 0)


def test_merge_only_one_material(db_session):
    a, b = (
        register(db_session, quantity="1"),
        register(db_session, quantity="2.5", basis="estimated"),
    )
    other = register(db_session, quantity="1", material="100202")
    with pytest.raises(InvalidInput) as error:
        custody.merge(db_session, person(db_session, "alice"), [a, other], client_event_id=new_id())
    assert error.value.field == "batches"
    outcome = custody.merge(
        db_session, person(db_session, "alice"), [a, b], client_event_id=new_id()
    )
    merged = batch(db_session, outcome.primary_code)
    assert (merged.mass_g, merged.basis) == (3_500_000, "estimated")
    assert batch(db_session, a).status == batch(db_session, b).status == "consumed"


def test_treatment_outputs_become_new_batches(db_session):
    # The example: a recycler turns 10 t of scrap into 9.2 t of secondary
    # material and 0.8 t of residue.
    code = register(db_session, quantity="10", material="120101")
    ship(db_session, code)
    receive(db_session, code)
    outcome = close(
        db_session,
        code,
        operation="R4",
        outputs=[("19 12 02", "9.2", "t", "weighed"), ("191212", "800", "kg", "weighed")],
    )
    steel, residue = (batch(db_session, c) for c in outcome.batch_codes[1:])
    assert (steel.material_code, steel.mass_g, steel.company_id) == (
        "191202",
        9_200_000,
        company_id(db_session, "Recycler"),
    )
    assert (residue.material_code, residue.mass_g) == ("191212", 800_000)
    closed = batch(db_session, code)
    assert (closed.status, closed.closing_operation, closed.mass_g) == ("closed", "R4", 0)


def test_a_treatment_cannot_create_mass(db_session):
    code = register(db_session, quantity="1", who="bob")
    with pytest.raises(InvalidInput) as error:
        close(db_session, code, outputs=[("191202", "1.001", "t", "weighed")])
    assert error.value.field == "outputs"
    assert batch(db_session, code).status == "held"


@pytest.mark.parametrize(
    ("operation", "ok"),
    [("R13", True), ("D15", True), ("R14", False), ("D0", False), ("", False), ("r4", True)],
)
def test_operations_are_those_of_the_directive(db_session, operation, ok):
    code = register(db_session, who="bob")
    if ok:
        close(db_session, code, operation=operation)
        assert batch(db_session, code).closing_operation == operation.upper()
    else:
        with pytest.raises(InvalidInput) as error:
            close(db_session, code, operation=operation)
        assert error.value.field == "operation"


def test_correction_is_a_new_event_that_names_the_corrected_one(db_session):
    code = register(db_session, quantity="12")
    registered = db_session.exec(select(Event)).one()
    custody.correct(
        db_session,
        person(db_session, "alice"),
        code,
        quantity_value="1.2",
        unit="t",
        reason="typed 12 for 1.2",
        client_event_id=new_id(),
    )
    events = db_session.exec(select(Event).order_by(Event.seq)).all()
    assert [e.operation for e in events] == ["register", "correct"]
    assert events[0].payload == registered.payload  # the wrong entry is kept as it was
    assert events[1].corrects_event_seq == events[0].seq
    assert json.loads(events[1].payload)["circ:correction"]["correctsEventID"] == events[0].event_id
    assert batch(db_session, code).mass_g == 1_200_000


def test_mass_ledger_accounts_for_every_gram(db_session):
    # Register 10 t, ship, receive 9.9 t (100 kg lost), split 3 t off, treat the 3 t into
    # 2.5 t of product: the ledger per batch equals its mass, and
    # registered − discrepancy − treated + outputs = mass held = 6.9 + 2.5 t.
    code = register(db_session, quantity="10")
    ship(db_session, code)
    receive(db_session, code, quantity="9.9", reason="weighbridge")
    part = custody.split(
        db_session, person(db_session, "bob"), code, parts=[("3", "t")], client_event_id=new_id()
    ).batch_codes[1]
    close(db_session, part, outputs=[("191202", "2.5", "t", "weighed")])
    held = db_session.exec(select(func.sum(Batch.mass_g))).one()
    assert held == 9_400_000
    for b in db_session.exec(select(Batch)).all():
        ledger = db_session.exec(
            select(func.sum(EventBatch.mass_delta_g)).where(EventBatch.batch_id == b.id)
        ).one()
        assert ledger == b.mass_g


def test_bad_input_writes_nothing(db_session):
    before = event_count(db_session)
    for kwargs, field in [
        ({"material": "999999"}, "material"),
        ({"quantity": "-1"}, "quantity"),
        ({"basis": "guessed"}, "basis"),
        ({"unit": "m3"}, "density"),
        ({"description": "x" * 501}, "description"),
    ]:
        with pytest.raises(InvalidInput) as error:
            register(db_session, **kwargs)
        assert error.value.field == field
    code = register(db_session)
    for kwargs, field in [
        ({"distance_km": "-5"}, "distance_km"),
        ({"carrier": " "}, "carrier"),
        ({"destination_company_id": "nope"}, "destination"),
    ]:
        args = {
            "destination_company_id": company_id(db_session, "Recycler"),
            "carrier": "c",
            "vehicle": "v",
            "distance_km": "3",
            "client_event_id": new_id(),
        } | kwargs
        with pytest.raises((InvalidInput, NotFound)) as error:
            custody.ship(db_session, person(db_session, "alice"), code, **args)
        assert error.value.field == field
    assert event_count(db_session) == before + 1
    assert batch(db_session, code).status == "held"
