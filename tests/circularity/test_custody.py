"""The custody rules: who acts, what moves, and that mass is never created or destroyed."""

import contextlib
import json

import pytest
from sqlmodel import func, select

from circularity.models import Batch, Event, EventBatch
from circularity.services import custody
from circularity.services.custody import access, operations
from circularity.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.circularity.helpers import close, receive, register, ship
from tests.conftest import company_id, new_id, person


def batch(session, code) -> Batch:
    session.expire_all()
    return session.exec(select(Batch).where(Batch.code == code)).one()


def event_count(session) -> int:
    return session.exec(select(func.count()).select_from(Event)).one()


def test_register_records_an_epcis_object_event(ctx):
    code = register(ctx, quantity="2.5", unit="m3", density="1200", basis="estimated")
    b = batch(ctx, code)
    assert (b.mass_g, b.basis, b.status, b.material_code) == (
        3_000_000,
        "estimated",
        "held",
        "170405",
    )
    event = ctx.exec(select(Event)).one()
    payload = json.loads(event.payload)
    assert payload["type"] == "ObjectEvent" and payload["action"] == "ADD"
    assert payload["bizStep"] == "commissioning"
    assert payload["eventTimeZoneOffset"] == "+08:00"
    assert payload["quantityList"] == [
        {"epcClass": f"urn:circularity:batch:{code}", "quantity": 3000.0, "uom": "KGM"}
    ]


def test_label_codes_are_random_128_bit_and_not_row_ids(ctx, monkeypatch):
    codes = [register(ctx) for _ in range(20)]
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


def test_ship_and_receive_move_the_batch(ctx):
    code = register(ctx, quantity="10")
    ship(ctx, code)
    b = batch(ctx, code)
    assert (b.status, b.company_id) == ("in_transit", company_id(ctx, "Steelworks"))
    assert b.destination_company_id == company_id(ctx, "Recycler")
    receive(ctx, code, quantity="10")
    b = batch(ctx, code)
    assert (b.status, b.company_id, b.destination_company_id) == (
        "held",
        company_id(ctx, "Recycler"),
        None,
    )


def test_a_weighed_difference_is_a_discrepancy_with_a_reason(ctx):
    code = register(ctx, quantity="10", basis="estimated")
    ship(ctx, code)
    with pytest.raises(InvalidInput) as error:
        receive(ctx, code, quantity="9.8")
    assert error.value.field == "reason"
    assert batch(ctx, code).status == "in_transit"  # nothing was written
    receive(ctx, code, quantity="9.8", reason="moisture loss")
    b = batch(ctx, code)
    assert b.mass_g == 9_800_000 and b.basis == "weighed"
    payload = json.loads(ctx.exec(select(Event).where(Event.operation == "receive")).one().payload)
    assert payload["circ:discrepancy"] == {
        "sentKg": "10000",
        "receivedKg": "9800",
        "differenceKg": "-200",
        "reason": "moisture loss",
    }
    # The sent mass is still on record in the shipping event: nothing was overwritten.
    shipped = json.loads(ctx.exec(select(Event).where(Event.operation == "ship")).one().payload)
    assert shipped["quantityList"][0]["quantity"] == 10000


def test_only_the_holder_acts(ctx):
    code = register(ctx)
    with pytest.raises(NotFound):  # bob's company cannot even see alice's held batch
        ship(ctx, code, who="bob", to="Cement")
    with pytest.raises(Forbidden):  # the coordinator sees it but does not hold it
        custody.ship(
            ctx,
            person(ctx, "cora"),
            code,
            destination_company_id=company_id(ctx, "Cement"),
            carrier="x",
            vehicle="y",
            distance_km="1",
            client_event_id=new_id(),
        )
    ship(ctx, code)
    with pytest.raises(Conflict):  # in transit: the sender no longer acts
        close(ctx, code, who="alice")
    with pytest.raises(NotFound):  # Cement is not the receiver and cannot see it
        receive(ctx, code, who="carl")
    receive(ctx, code, who="bob")
    close(ctx, code, who="bob")
    with pytest.raises(Conflict):
        close(ctx, code, who="bob")


def test_staff_see_their_batches_and_those_shipped_to_them(ctx):
    from circularity.services.custody import reads

    own = register(ctx, who="alice")
    sent = register(ctx, who="alice")
    ship(ctx, sent, to="Recycler")
    carls = register(ctx, who="carl")
    seen = {b.code for b in reads.list_batches(ctx, person(ctx, "bob"))[0]}
    assert seen == {sent}
    seen = {b.code for b in reads.list_batches(ctx, person(ctx, "alice"))[0]}
    assert seen == {own, sent}  # alice still sees what her company shipped
    seen = {b.code for b in reads.list_batches(ctx, person(ctx, "mia"))[0]}
    assert seen == {own, sent, carls}


def test_opening_a_batch_follows_the_same_visibility_as_the_lists(ctx):
    """get_batch decides in Python what visible_batches decides in SQL; both must agree for
    every person and every batch: held, in transit, handled in the past, never touched."""
    from circularity.services.custody import reads

    own = register(ctx, who="alice")
    onward = register(ctx, who="alice")
    ship(ctx, onward, to="Recycler")
    receive(ctx, onward, who="bob")
    ship(ctx, onward, to="Cement", who="bob")  # alice and bob handled it; carl receives it
    in_transit = register(ctx, who="carl")
    ship(ctx, in_transit, to="Steelworks", who="carl")
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
        user = person(ctx, name)
        listed = {b.code for b in reads.list_batches(ctx, user)[0]}
        opened = set()
        for code in codes:
            with contextlib.suppress(NotFound):
                opened.add(access.get_batch(ctx, user, code).code)
        assert listed == opened == visible, name


def test_split_keeps_the_remainder_in_the_batch(ctx):
    code = register(ctx, quantity="10")
    outcome = custody.split(
        ctx,
        person(ctx, "alice"),
        code,
        parts=[("4", "t"), ("3500", "kg")],
        client_event_id=new_id(),
    )
    parts = [batch(ctx, c) for c in outcome.batch_codes[1:]]
    assert [p.mass_g for p in parts] == [4_000_000, 3_500_000]
    assert batch(ctx, code).mass_g == 2_500_000  # 10 − 4 − 3.5
    with pytest.raises(InvalidInput) as error:
        custody.split(ctx, person(ctx, "alice"), code, parts=[("3", "t")], client_event_id=new_id())
    assert error.value.field == "parts"
    assert batch(ctx, code).mass_g == 2_500_000


def test_split_of_everything_consumes_the_batch(ctx):
    code = register(ctx, quantity="2")
    custody.split(
        ctx, person(ctx, "alice"), code, parts=[("1", "t"), ("1", "t")], client_event_id=new_id()
    )
    assert (batch(ctx, code).status, batch(ctx, code).mass_g) == ("consumed", 0)


def test_merge_only_one_material(ctx):
    a, b = register(ctx, quantity="1"), register(ctx, quantity="2.5", basis="estimated")
    other = register(ctx, quantity="1", material="100202")
    with pytest.raises(InvalidInput) as error:
        custody.merge(ctx, person(ctx, "alice"), [a, other], client_event_id=new_id())
    assert error.value.field == "batches"
    outcome = custody.merge(ctx, person(ctx, "alice"), [a, b], client_event_id=new_id())
    merged = batch(ctx, outcome.primary_code)
    assert (merged.mass_g, merged.basis) == (3_500_000, "estimated")
    assert batch(ctx, a).status == batch(ctx, b).status == "consumed"


def test_treatment_outputs_become_new_batches(ctx):
    # The example: a recycler turns 10 t of scrap into 9.2 t of secondary
    # material and 0.8 t of residue.
    code = register(ctx, quantity="10", material="120101")
    ship(ctx, code)
    receive(ctx, code)
    outcome = close(
        ctx,
        code,
        operation="R4",
        outputs=[("19 12 02", "9.2", "t", "weighed"), ("191212", "800", "kg", "weighed")],
    )
    steel, residue = (batch(ctx, c) for c in outcome.batch_codes[1:])
    assert (steel.material_code, steel.mass_g, steel.company_id) == (
        "191202",
        9_200_000,
        company_id(ctx, "Recycler"),
    )
    assert (residue.material_code, residue.mass_g) == ("191212", 800_000)
    closed = batch(ctx, code)
    assert (closed.status, closed.closing_operation, closed.mass_g) == ("closed", "R4", 0)


def test_a_treatment_cannot_create_mass(ctx):
    code = register(ctx, quantity="1", who="bob")
    with pytest.raises(InvalidInput) as error:
        close(ctx, code, outputs=[("191202", "1.001", "t", "weighed")])
    assert error.value.field == "outputs"
    assert batch(ctx, code).status == "held"


@pytest.mark.parametrize(
    ("operation", "ok"),
    [("R13", True), ("D15", True), ("R14", False), ("D0", False), ("", False), ("r4", True)],
)
def test_operations_are_those_of_the_directive(ctx, operation, ok):
    code = register(ctx, who="bob")
    if ok:
        close(ctx, code, operation=operation)
        assert batch(ctx, code).closing_operation == operation.upper()
    else:
        with pytest.raises(InvalidInput) as error:
            close(ctx, code, operation=operation)
        assert error.value.field == "operation"


def test_correction_is_a_new_event_that_names_the_corrected_one(ctx):
    code = register(ctx, quantity="12")
    registered = ctx.exec(select(Event)).one()
    custody.correct(
        ctx,
        person(ctx, "alice"),
        code,
        quantity_value="1.2",
        unit="t",
        reason="typed 12 for 1.2",
        client_event_id=new_id(),
    )
    events = ctx.exec(select(Event).order_by(Event.seq)).all()
    assert [e.operation for e in events] == ["register", "correct"]
    assert events[0].payload == registered.payload  # the wrong entry is kept as it was
    assert events[1].corrects_event_seq == events[0].seq
    assert json.loads(events[1].payload)["circ:correction"]["correctsEventID"] == events[0].event_id
    assert batch(ctx, code).mass_g == 1_200_000


def test_mass_ledger_accounts_for_every_gram(ctx):
    # Register 10 t, ship, receive 9.9 t (100 kg lost), split 3 t off, treat the 3 t into
    # 2.5 t of product: the ledger per batch equals its mass, and
    # registered − discrepancy − treated + outputs = mass held = 6.9 + 2.5 t.
    code = register(ctx, quantity="10")
    ship(ctx, code)
    receive(ctx, code, quantity="9.9", reason="weighbridge")
    part = custody.split(
        ctx, person(ctx, "bob"), code, parts=[("3", "t")], client_event_id=new_id()
    ).batch_codes[1]
    close(ctx, part, outputs=[("191202", "2.5", "t", "weighed")])
    held = ctx.exec(select(func.sum(Batch.mass_g))).one()
    assert held == 9_400_000
    for b in ctx.exec(select(Batch)).all():
        ledger = ctx.exec(
            select(func.sum(EventBatch.mass_delta_g)).where(EventBatch.batch_id == b.id)
        ).one()
        assert ledger == b.mass_g


def test_bad_input_writes_nothing(ctx):
    before = event_count(ctx)
    for kwargs, field in [
        ({"material": "999999"}, "material"),
        ({"quantity": "-1"}, "quantity"),
        ({"basis": "guessed"}, "basis"),
        ({"unit": "m3"}, "density"),
        ({"description": "x" * 501}, "description"),
    ]:
        with pytest.raises(InvalidInput) as error:
            register(ctx, **kwargs)
        assert error.value.field == field
    code = register(ctx)
    for kwargs, field in [
        ({"distance_km": "-5"}, "distance_km"),
        ({"carrier": " "}, "carrier"),
        ({"destination_company_id": "nope"}, "destination"),
    ]:
        args = {
            "destination_company_id": company_id(ctx, "Recycler"),
            "carrier": "c",
            "vehicle": "v",
            "distance_km": "3",
            "client_event_id": new_id(),
        } | kwargs
        with pytest.raises((InvalidInput, NotFound)) as error:
            custody.ship(ctx, person(ctx, "alice"), code, **args)
        assert error.value.field == field
    assert event_count(ctx) == before + 1
    assert batch(ctx, code).status == "held"
