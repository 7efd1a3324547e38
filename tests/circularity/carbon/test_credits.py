"""The district credit ledger against hand-computed examples, and every way to count twice.

Factors are DEFRA 2025 (see tests/mfa/test_emissions.py for the same numbers worked by hand);
ship distances come from the helpers (12.5 km) unless a test ships farther.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import func, select

from circularity.models import Batch, ChainHead, Credit, CreditRun, Event, EventBatch
from circularity.services import custody
from circularity.services.carbon import credits, factors, ledger
from circularity.services.errors import Conflict, InvalidInput
from tests.helpers import close, new_id, person, receive, register, ship


def batch(session, code) -> Batch:
    session.expire_all()
    return session.exec(select(Batch).where(Batch.code == code)).one()


def entries(session) -> int:
    return session.exec(select(func.count()).select_from(Credit)).one()


def scrap_recycled(session, tonnes="10"):
    """alice sends scrap 12.5 km to the Recycler; bob recycles it (R4)."""
    code = register(session, quantity=tonnes)
    ship(session, code)
    receive(session, code, quantity=tonnes)
    close(session, code, operation="R4")
    return code


STEEL_10T = 10 * (8.98311 - 4.68568) + 10 * (2863.90131 - 1823.90131) - 10 * 12.5 * 0.10163


def test_recycling_credit_is_the_hand_computed_figure(db_session):
    # Iron and steel (17 04 05) is priced with DEFRA's steel row, landfill its baseline:
    # 10 × (8.98311 − 4.68568) + 10 × 1 × (2863.90131 − 1823.90131) − 10 × 12.5 × 0.10163
    # = 42.9743 + 10400 − 12.70375 = 10430.27055
    code = scrap_recycled(db_session)
    run = credits.book_credits(db_session, person(db_session, "mia"))
    (credit,) = credits.current_credits(db_session)
    assert credit.batch_id == batch(db_session, code).id
    assert credit.credit_kg == pytest.approx(STEEL_10T)
    assert pytest.approx(10430.27055) == STEEL_10T
    assert (credit.status, credit.mass_g, credit.input_g) == ("final", 10_000_000, 10_000_000)
    assert (credit.route, credit.baseline, credit.factor_set, credit.factor_edition) == (
        "recycling",
        "landfill",
        "defra-2025",
        "2025",
    )
    assert credit.distance_km == pytest.approx(12.5)
    assert run.entries == 1 and run.factor_set == "defra-2025"
    assert '"source": "19_504_5116_15_1"' in credit.inputs  # DEFRA's steel primary row
    assert credit.substitution == 1.0 and credit.substitution_source == ""


def test_composting_is_told_by_its_compost_output(db_session):
    # 4 t of canteen waste, 12.5 km, composted (R3 making compost 19 05 03). Its baseline is
    # incineration (Suzhou burns residual waste), biogenic so 4.68568 kg/t of transport only:
    # 4 × (4.68568 − 8.98311) − 4 × 12.5 × 0.10163 = −17.18972 − 5.0815 = −22.27122
    code = register(db_session, material="200108", quantity="4")
    ship(db_session, code)
    receive(db_session, code, quantity="4")
    close(db_session, code, operation="R3", outputs=[("190503", "3", "t", "weighed")])
    credits.book_credits(db_session)
    (credit,) = credits.current_credits(db_session)
    assert credit.route == "composting"
    assert credit.production_kg == 0
    assert credit.credit_kg == pytest.approx(-22.27122)
    assert credit.baseline == "incineration" and "Suzhou" in credit.baseline_source


def test_anaerobic_digestion_on_site_has_no_transport(db_session):
    # 2 t of garden waste digested where it arose, against incineration (biogenic):
    # 2 × (4.68568 − 8.98311) = −8.59486
    code = register(db_session, material="200201", quantity="2")
    close(db_session, code, who="alice", operation="R3", outputs=[("190606", "1", "t", "weighed")])
    credits.book_credits(db_session)
    (credit,) = credits.current_credits(db_session)
    assert (credit.route, credit.distance_km, credit.transport_kg) == ("anaerobic_digestion", 0, 0)
    assert credit.credit_kg == pytest.approx(-8.59486)


def test_energy_recovery_is_never_credited(app, db_session):
    code = register(db_session, material="150103", quantity="3")
    ship(db_session, code)
    receive(db_session, code, quantity="3")
    close(db_session, code, operation="R1")
    with app.app_context():
        assert credits.book_credits(db_session) is None
        assert credits.pending(db_session) == []


def test_unmapped_material_is_shown_and_never_credited(db_session):
    code = register(db_session, material="100210", quantity="5")  # mill scale: no reviewed mapping
    close(db_session, code, who="alice", operation="R5")
    assert credits.book_credits(db_session) is None
    (found,) = credits.pending(db_session)
    assert found.mapping.material is None and found.reasons == ["unmapped"]
    assert factors.mapping("100210").material is None
    assert entries(db_session) == 0


def test_a_missing_factor_is_a_reason_not_a_zero(db_session):
    code = register(
        db_session, material="150103", quantity="1"
    )  # wood: no closed-loop source factor
    close(db_session, code, who="alice", operation="R3")
    (found,) = credits.pending(db_session)
    assert found.reasons == ["no_factor:production:closed_loop_source"]
    assert credits.book_credits(db_session) is None


def test_landfill_and_preliminary_closings_are_not_circular(db_session):
    for operation in ("D1", "D10", "R13"):
        close(db_session, register(db_session), who="alice", operation=operation)
    assert credits.pending(db_session) == []
    assert credits.book_credits(db_session) is None


def test_booking_twice_books_once(db_session):
    scrap_recycled(db_session)
    assert credits.book_credits(db_session) is not None
    assert credits.book_credits(db_session) is None
    assert credits.book_credits(db_session, factor_set="epa-hub") is None
    assert entries(db_session) == 1
    assert db_session.exec(select(func.count()).select_from(CreditRun)).one() == 1


def test_the_database_refuses_a_second_first_booking(db_session):
    scrap_recycled(db_session)
    credits.book_credits(db_session)
    (credit,) = credits.current_credits(db_session)
    duplicate = Credit(**credit.model_dump(exclude={"id", "supersedes_id"}))
    db_session.add(duplicate)
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()


def test_the_ledger_is_append_only(db_session):
    scrap_recycled(db_session)
    credits.book_credits(db_session)
    for statement in ("UPDATE credit SET credit_kg = 0", "DELETE FROM credit"):
        with pytest.raises(DBAPIError):
            db_session.execute(text(statement))
        db_session.rollback()
    assert entries(db_session) == 1


def test_event_order_between_bookings_does_not_matter(db_session):
    first = register(db_session, quantity="2")
    second = register(db_session, quantity="3")
    close(db_session, second, who="alice", operation="R4")
    credits.book_credits(db_session)
    close(db_session, first, who="alice", operation="R4")
    credits.book_credits(db_session)
    credits.book_credits(db_session)
    booked = {c.batch_id: c.mass_g for c in credits.current_credits(db_session)}
    assert booked == {
        batch(db_session, first).id: 2_000_000,
        batch(db_session, second).id: 3_000_000,
    }


def test_material_counted_at_an_ancestor_is_not_counted_again(db_session):
    code = register(db_session, quantity="10")
    ship(db_session, code)
    receive(db_session, code)
    close(db_session, code, operation="R4", outputs=[("170405", "9", "t", "weighed")])
    output = next(b for b in db_session.exec(select(Batch)).all() if b.origin == "treatment")
    close(db_session, output.code, operation="R4")
    credits.book_credits(db_session)
    assert [c.batch_id for c in credits.current_credits(db_session)] == [batch(db_session, code).id]
    (found,) = credits.pending(db_session)
    assert found.reasons == ["counted_at_ancestor"]


def test_a_split_part_carries_the_shipments_before_the_split_only(db_session):
    # 20 t shipped 12.5 km; 5 t split off; the rest shipped another 12.5 km afterwards; the
    # part is recycled where it is: it travelled 12.5 km.
    code = register(db_session, quantity="20")
    ship(db_session, code)
    receive(db_session, code, quantity="20")
    outcome = custody.split(
        db_session, person(db_session, "bob"), code, parts=[("5", "t")], client_event_id=new_id()
    )
    part = outcome.batch_codes[1]
    ship(db_session, code, who="bob", to="Cement")
    close(db_session, part, operation="R4")
    credits.book_credits(db_session)
    (credit,) = credits.current_credits(db_session)
    assert credit.distance_km == pytest.approx(12.5)
    assert credit.transport_kg == pytest.approx(5 * 12.5 * 0.10163)
    assert set(credit.companies.split()) == {
        str(batch(db_session, code).company_id),
        str(person(db_session, "alice").company_id),
    }


def test_a_correction_after_crediting_changes_nothing_by_itself(db_session):
    code = register(db_session, quantity="10")
    close(db_session, code, who="alice", operation="R4")
    credits.book_credits(db_session)
    with pytest.raises(Conflict):
        custody.correct(
            db_session,
            person(db_session, "alice"),
            code,
            quantity_value="9",
            unit="t",
            reason="scale",
            client_event_id=new_id(),
        )
    assert (
        credits.recalculate(db_session, person(db_session, "mia"), "defra-2025", "again").run
        is None
    )
    assert entries(db_session) == 1


def test_a_new_factor_set_rewrites_nothing_until_an_explicit_recalculation(db_session):
    scrap_recycled(db_session)
    credits.book_credits(db_session)
    (old,) = credits.current_credits(db_session)
    mia = person(db_session, "mia")
    # A local set with its own road-freight factor (0.2 kg per t.km); the rest from DEFRA.
    factors.import_set(
        db_session,
        mia,
        key="cn-local",
        name="Local freight",
        edition="2026",
        source="Example: park logistics survey 2026",
        licence="CC BY 4.0",
        base="defra-2025",
        data="material,kind,route,value,unit\nall,freight,road,200,g CO2e/t.km\n",
    )
    assert [c.id for c in credits.current_credits(db_session)] == [old.id]
    result = credits.recalculate(db_session, mia, "cn-local", note="local freight survey")
    run = result.run
    assert result.kept == []
    (new,) = credits.current_credits(db_session)
    assert (new.revision, new.supersedes_id, new.factor_set) == (2, old.id, "cn-local")
    # Only transport changes: 10 × 12.5 × (0.2 − 0.10163) = 12.29625 kg less.
    assert new.credit_kg == pytest.approx(STEEL_10T - 12.29625)
    assert run.kind == "recalculate" and run.note == "local freight survey"
    assert [c.revision for c in credits.history(db_session, new.batch_id)] == [1, 2]
    assert credits.get_credit(db_session, old.id).credit_kg == pytest.approx(STEEL_10T)
    assert (
        credits.recalculate(db_session, mia, "cn-local", "local freight survey").run is None
    )  # a retry adds nothing
    assert entries(db_session) == 2


def test_epa_set_converts_short_tons(db_session):
    code = register(db_session, material="200108", quantity="1")
    close(db_session, code, who="alice", operation="R3", outputs=[("190503", "1", "t", "weighed")])
    credits.book_credits(db_session, factor_set="epa-hub")
    (credit,) = credits.current_credits(db_session)
    # EPA food waste, incineration baseline: combusted 0.05, composted 0.15 t CO2e per short
    # ton: 1 × (0.05 − 0.15) × 1000 / 0.90718474 = −110.2311 kg
    assert credit.credit_kg == pytest.approx(-110.2311, abs=1e-3)
    assert credit.factor_set == "epa-hub"


def test_both_mapping_files_are_reviewed_and_disjoint():
    market = {r["low_code"] for r in factors._csv(factors.DATA / factors.MAPPING_FILES[0])}
    ours = {r["low_code"] for r in factors._csv(factors.DATA / factors.MAPPING_FILES[1])}
    assert not market & ours
    settings = factors.material_settings()
    for code, entry in factors.mapping_table().items():
        assert entry.comment, code
        assert entry.material is None or entry.material in settings, entry.material
    for entry in settings.values():
        assert entry.baseline in ("landfill", "incineration")
        assert entry.baseline_source, entry.material
        assert 0 < entry.substitution <= 1


@pytest.mark.parametrize("code", ["191202", "160117", "120101", "170405"])
def test_ferrous_codes_are_priced_as_steel(code):
    assert factors.mapping(code).material == "Metal: steel cans"


def _recycler_sorts(session, first, second):
    """10 t of scrap to the Recycler, who sorts it (R4) into 9 t and 0.5 t of iron and steel
    (0.5 t lost); ``first`` and ``second`` say what becomes of each output."""
    code = register(session, quantity="10")
    ship(session, code)
    receive(session, code, quantity="10")
    close(
        session,
        code,
        operation="R4",
        outputs=[("170405", "9", "t", "weighed"), ("170405", "0.5", "t", "weighed")],
    )
    outputs = sorted(
        (b for b in session.exec(select(Batch)).all() if b.origin == "treatment"),
        key=lambda b: -b.mass_g,
    )
    for output, operation in zip(outputs, (first, second), strict=True):
        if operation:
            close(session, output.code, operation=operation)
    return code


def _steel(mass_t, distance_km=12.5):
    # m × (8.98311 − 4.68568) + m × (2863.90131 − 1823.90131) − m × d × 0.10163
    return mass_t * (4.29743 + 1040.0) - mass_t * distance_km * 0.10163


def test_case_recycled_outputs(db_session):
    # 9 t remelted (R4), 0.5 t landfilled (D1): 9 t credited, final.
    _recycler_sorts(db_session, "R4", "D1")
    credits.book_credits(db_session)
    (credit,) = credits.current_credits(db_session)
    assert (credit.mass_g, credit.input_g, credit.status) == (9_000_000, 10_000_000, "final")
    assert credit.credit_kg == pytest.approx(_steel(9))


def test_case_burnt_outputs(db_session):
    # Both outputs burnt (R1, D10): nothing reached final recycling, no credit.
    _recycler_sorts(db_session, "R1", "D10")
    assert credits.book_credits(db_session) is None
    found = [a for a in credits.pending(db_session) if a.fate is not None]
    assert found[0].reasons[0] == "nothing_recycled"


def test_case_outputs_still_held(db_session):
    # 9 t still held, 0.5 t remelted: provisional at 9.5 t; then the 9 t are burnt and a
    # second entry reduces the credit to the 0.5 t, final, superseding the first.
    _recycler_sorts(db_session, None, "R4")
    credits.book_credits(db_session)
    (first,) = credits.current_credits(db_session)
    assert (first.status, first.mass_g, first.pending_g) == ("provisional", 9_500_000, 9_000_000)
    assert first.credit_kg == pytest.approx(_steel(9.5))
    held = max(
        (b for b in db_session.exec(select(Batch)).all() if b.origin == "treatment"),
        key=lambda b: b.mass_g,
    )
    close(db_session, held.code, operation="D10")
    assert credits.book_credits(db_session) is not None
    (final,) = credits.current_credits(db_session)
    assert (final.status, final.mass_g, final.revision) == ("final", 500_000, 2)
    assert final.supersedes_id == first.id
    assert final.credit_kg == pytest.approx(_steel(0.5))
    assert credits.get_credit(db_session, first.id).mass_g == 9_500_000  # kept as booked
    assert credits.book_credits(db_session) is None


def test_case_a_second_recycling(db_session):
    # The 9 t output is remelted: credited once, in the first closing's credit (9 t), and
    # never again for the output's own closing.
    _recycler_sorts(db_session, "R4", "D1")
    credits.book_credits(db_session)
    assert len(credits.current_credits(db_session)) == 1
    assert {a.reasons[0] for a in credits.pending(db_session)} == {"counted_at_ancestor"}


FREIGHT_CSV = "material,kind,route,value,unit\nall,freight,road,{value},{unit}\n"


def test_a_factor_set_with_a_factor_beyond_any_material_is_held_or_refused(db_session):
    # 1e300 g CO2e/t.km would make every credit about -1.35e299 t: refused even if confirmed.
    # 6 kg CO2e/t.km is above DEFRA's highest freight factor (4.60397, air freight): held.
    mia = person(db_session, "mia")
    common = {"key": "x-freight", "name": "x", "edition": "1", "source": "s", "licence": "l"}
    absurd = FREIGHT_CSV.format(value="1e300", unit="g CO2e/t.km")
    high = FREIGHT_CSV.format(value="6", unit="kg CO2e/t.km")
    with pytest.raises(factors.RejectedFile):
        factors.import_set(db_session, mia, **common, data=absurd, confirmed=True)
    with pytest.raises(factors.RejectedFile):
        factors.import_set(db_session, mia, **common, data=high)
    library = factors.import_set(db_session, mia, **common, data=high, confirmed=True)
    assert library.factors[("all", "freight", "road")].value == 6.0


def test_a_recalculation_that_cannot_price_a_credit_says_so(db_session):
    scrap_recycled(db_session)
    credits.book_credits(db_session)
    mia = person(db_session, "mia")
    paper = (
        "material,kind,route,value,unit\nPaper and board: mixed,disposal,landfill,1000,kg CO2e/t\n"
    )
    factors.import_set(
        db_session,
        mia,
        key="paper-only",
        name="p",
        edition="1",
        source="s",
        licence="l",
        data=paper,
    )
    result = credits.recalculate(db_session, mia, "paper-only", "paper survey")
    assert result.run is None
    (kept,) = result.kept
    assert kept.reasons[:2] == ["no_factor:disposal:landfill", "no_factor:disposal:closed_loop"]
    assert ledger.totals(db_session).set_counts == {"defra-2025 2025": 1}


def test_closed_at_is_the_closing_time(db_session):
    code = register(db_session)
    when = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
    close(db_session, code, who="alice", operation="R4", event_time=when)
    credits.book_credits(db_session)
    (credit,) = credits.current_credits(db_session)
    assert credit.closed_at.replace(tzinfo=UTC) == when


def test_a_recalculation_needs_its_reason(db_session):
    with pytest.raises(InvalidInput) as error:
        credits.recalculate(db_session, person(db_session, "mia"), "defra-2025", "  ")
    assert error.value.field == "note"


def close_without_route(session, code, route=None):
    """Close ``code`` the way a bulk import writes it, bypassing the services: the batch row
    says closed but names no closing operation, the close event names ``route`` (or none)."""
    found = batch(session, code)
    seq = session.exec(select(func.max(Event.seq))).one() + 1
    event = Event(
        seq=seq,
        event_id=f"urn:test:{seq}",
        client_event_id=new_id(),
        operation="close",
        event_type="ObjectEvent",
        biz_step="test",
        disposition="inactive",
        event_time=datetime(2026, 3, 1, tzinfo=UTC),
        event_timezone_offset="+08:00",
        company_id=found.company_id,
        user_id=person(session, "bob").id,
        route=route,
        payload="{}",
        prev_hash="0",
        hash="0",
    )
    session.add(event)
    session.flush()
    session.add(
        EventBatch(event_id=event.id, batch_id=found.id, role="input", mass_delta_g=-found.mass_g)
    )
    found.status, found.mass_g, found.closing_operation = "closed", 0, None
    head = session.get(ChainHead, 1)
    head.seq = seq  # the next event recorded by the services follows this one
    session.add_all([found, head])
    session.commit()
    return found.id


def test_a_closing_without_a_route_is_not_creditable_and_says_why(db_session):
    # 10 t closed with no route at all (no closing operation on the batch, none on its event)
    # next to 10 t of scrap recycled: the first is assessed only to say why it has no credit.
    unrouted = close_without_route(db_session, register(db_session))
    scrap_recycled(db_session)
    why = {a.batch.id: a.reasons for a in credits.pending(db_session)}
    assert why[unrouted] == ["no_route"] and len(why) == 2
    run = credits.book_credits(db_session, person(db_session, "mia"))
    assert run.entries == 1 and entries(db_session) == 1
    (credit,) = credits.current_credits(db_session)
    assert credit.batch_id != unrouted
    assert [a.reasons for a in credits.pending(db_session)] == [["no_route"]]


def test_a_closing_whose_batch_names_no_operation_is_booked_with_its_events_route(db_session):
    # The close event says R4 but the batch row names no closing operation: the ledger entry
    # takes the operation from the event it was priced from.
    code = register(db_session)
    close_without_route(db_session, code, route="R4")
    credits.book_credits(db_session, person(db_session, "mia"))
    (credit,) = credits.current_credits(db_session)
    assert (credit.operation, credit.route, credit.mass_g) == ("R4", "recycling", 10_000_000)
