"""The district credit ledger against hand-computed examples, and every way to count twice.

Factors are DEFRA 2025 (see tests/mfa/test_emissions.py for the same numbers worked by hand);
ship distances come from the helpers (12.5 km) unless a test ships farther.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import func, select

from circularity.models import Batch, Credit, CreditRun
from circularity.services import custody
from circularity.services.carbon import credits, factors
from circularity.services.errors import Conflict
from tests.circularity.helpers import close, receive, register, ship
from tests.conftest import new_id, person


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


def test_recycling_credit_is_the_hand_computed_figure(ctx):
    # 10 × (8.98311 − 4.68568) + 10 × 1 × (3473.11953 − 1706.42359) − 10 × 12.5 × 0.10163
    code = scrap_recycled(ctx)
    run = credits.book_credits(ctx, person(ctx, "mia"))
    (credit,) = credits.current_credits(ctx)
    assert credit.batch_id == batch(ctx, code).id
    assert credit.credit_kg == pytest.approx(17697.22995)
    assert (credit.route, credit.baseline, credit.factor_set, credit.factor_edition) == (
        "recycling",
        "landfill",
        "defra-2025",
        "2025",
    )
    assert credit.distance_km == pytest.approx(12.5)
    assert run.entries == 1 and run.factor_set == "defra-2025"
    assert '"source": "19_504_5112_15_1"' in credit.inputs  # DEFRA's scrap-metal primary row
    assert credit.substitution == 1.0 and credit.substitution_source == ""


def test_composting_is_told_by_its_compost_output(ctx):
    # 4 t of canteen waste, 12.5 km, composted (R3 making compost 19 05 03):
    # 4 × (700.30886 − 8.98311) − 4 × 12.5 × 0.10163 = 2765.303 − 5.0815
    code = register(ctx, material="200108", quantity="4")
    ship(ctx, code)
    receive(ctx, code, quantity="4")
    close(ctx, code, operation="R3", outputs=[("190503", "3", "t", "weighed")])
    credits.book_credits(ctx)
    (credit,) = credits.current_credits(ctx)
    assert credit.route == "composting"
    assert credit.production_kg == 0
    assert credit.credit_kg == pytest.approx(2765.303 - 5.0815)


def test_anaerobic_digestion_on_site_has_no_transport(ctx):
    # 2 t of garden waste digested where it arose: 2 × (646.70557 − 8.98311) = 1275.44492
    code = register(ctx, material="200201", quantity="2")
    close(ctx, code, who="alice", operation="R3", outputs=[("190606", "1", "t", "weighed")])
    credits.book_credits(ctx)
    (credit,) = credits.current_credits(ctx)
    assert (credit.route, credit.distance_km, credit.transport_kg) == ("anaerobic_digestion", 0, 0)
    assert credit.credit_kg == pytest.approx(1275.44492)


def test_energy_recovery_is_credited_only_when_configured(app, ctx):
    # 3 t of wooden packaging burnt for energy (R1) 12.5 km away:
    # 3 × (925.34348 − 4.68568) − 3 × 12.5 × 0.10163 = 2761.9734 − 3.811125
    code = register(ctx, material="150103", quantity="3")
    ship(ctx, code)
    receive(ctx, code, quantity="3")
    close(ctx, code, operation="R1")
    with app.app_context():
        assert credits.book_credits(ctx) is None
        assert credits.pending(ctx) == []
        app.config["CARBON_CREDIT_ENERGY_RECOVERY"] = True
        credits.book_credits(ctx)
    (credit,) = credits.current_credits(ctx)
    assert credit.route == "energy_recovery"
    assert credit.credit_kg == pytest.approx(2761.9734 - 3.811125)


def test_unmapped_material_is_shown_and_never_credited(ctx):
    code = register(ctx, material="100202", quantity="5")  # steel slag: no reviewed mapping
    close(ctx, code, who="alice", operation="R5")
    assert credits.book_credits(ctx) is None
    (found,) = credits.pending(ctx)
    assert found.mapping.material is None and found.reasons == ["unmapped"]
    assert factors.mapping("100202").material is None
    assert entries(ctx) == 0


def test_a_missing_factor_is_a_reason_not_a_zero(ctx):
    code = register(ctx, material="150103", quantity="1")  # wood: no closed-loop source factor
    close(ctx, code, who="alice", operation="R3")
    (found,) = credits.pending(ctx)
    assert found.reasons == ["no_factor:production:closed_loop_source"]
    assert credits.book_credits(ctx) is None


def test_landfill_and_preliminary_closings_are_not_circular(ctx):
    for operation in ("D1", "D10", "R13"):
        close(ctx, register(ctx), who="alice", operation=operation)
    assert credits.pending(ctx) == []
    assert credits.book_credits(ctx) is None


def test_booking_twice_books_once(ctx):
    scrap_recycled(ctx)
    assert credits.book_credits(ctx) is not None
    assert credits.book_credits(ctx) is None
    assert credits.book_credits(ctx, factor_set="epa-hub") is None
    assert entries(ctx) == 1
    assert ctx.exec(select(func.count()).select_from(CreditRun)).one() == 1


def test_the_database_refuses_a_second_first_booking(ctx):
    scrap_recycled(ctx)
    credits.book_credits(ctx)
    (credit,) = credits.current_credits(ctx)
    duplicate = Credit(**credit.model_dump(exclude={"id", "supersedes_id"}))
    ctx.add(duplicate)
    with pytest.raises(IntegrityError):
        ctx.commit()
    ctx.rollback()


def test_the_ledger_is_append_only(ctx):
    scrap_recycled(ctx)
    credits.book_credits(ctx)
    for statement in ("UPDATE credit SET credit_kg = 0", "DELETE FROM credit"):
        with pytest.raises(DBAPIError):
            ctx.execute(text(statement))
        ctx.rollback()
    assert entries(ctx) == 1


def test_event_order_between_bookings_does_not_matter(ctx):
    first = register(ctx, quantity="2")
    second = register(ctx, quantity="3")
    close(ctx, second, who="alice", operation="R4")
    credits.book_credits(ctx)
    close(ctx, first, who="alice", operation="R4")
    credits.book_credits(ctx)
    credits.book_credits(ctx)
    booked = {c.batch_id: c.mass_g for c in credits.current_credits(ctx)}
    assert booked == {batch(ctx, first).id: 2_000_000, batch(ctx, second).id: 3_000_000}


def test_material_counted_at_an_ancestor_is_not_counted_again(ctx):
    code = register(ctx, quantity="10")
    ship(ctx, code)
    receive(ctx, code)
    close(ctx, code, operation="R4", outputs=[("170405", "9", "t", "weighed")])
    output = next(b for b in ctx.exec(select(Batch)).all() if b.origin == "treatment")
    close(ctx, output.code, operation="R4")
    credits.book_credits(ctx)
    assert [c.batch_id for c in credits.current_credits(ctx)] == [batch(ctx, code).id]
    (found,) = credits.pending(ctx)
    assert found.reasons == ["counted_at_ancestor"]


def test_a_split_part_carries_the_shipments_before_the_split_only(ctx):
    # 20 t shipped 12.5 km; 5 t split off; the rest shipped another 12.5 km afterwards; the
    # part is recycled where it is: it travelled 12.5 km.
    code = register(ctx, quantity="20")
    ship(ctx, code)
    receive(ctx, code, quantity="20")
    outcome = custody.split(
        ctx, person(ctx, "bob"), code, parts=[("5", "t")], client_event_id=new_id()
    )
    part = outcome.batch_codes[1]
    ship(ctx, code, who="bob", to="Cement")
    close(ctx, part, operation="R4")
    credits.book_credits(ctx)
    (credit,) = credits.current_credits(ctx)
    assert credit.distance_km == pytest.approx(12.5)
    assert credit.transport_kg == pytest.approx(5 * 12.5 * 0.10163)
    assert set(credit.companies.split()) == {
        str(batch(ctx, code).company_id),
        str(person(ctx, "alice").company_id),
    }


def test_a_correction_after_crediting_changes_nothing_by_itself(ctx):
    code = register(ctx, quantity="10")
    close(ctx, code, who="alice", operation="R4")
    credits.book_credits(ctx)
    with pytest.raises(Conflict):
        custody.correct(
            ctx,
            person(ctx, "alice"),
            code,
            quantity_value="9",
            unit="t",
            reason="scale",
            client_event_id=new_id(),
        )
    assert credits.recalculate(ctx, person(ctx, "mia"), "defra-2025") is None
    assert entries(ctx) == 1


def test_a_new_factor_set_rewrites_nothing_until_an_explicit_recalculation(ctx):
    scrap_recycled(ctx)
    credits.book_credits(ctx)
    (old,) = credits.current_credits(ctx)
    mia = person(ctx, "mia")
    # A local set with its own road-freight factor (0.2 kg per t.km); the rest from DEFRA.
    factors.import_set(
        ctx,
        mia,
        key="cn-local",
        name="Local freight",
        edition="2026",
        source="Example: park logistics survey 2026",
        licence="CC BY 4.0",
        base="defra-2025",
        data="material,kind,route,value,unit\nall,freight,road,200,g CO2e/t.km\n",
    )
    assert [c.id for c in credits.current_credits(ctx)] == [old.id]
    run = credits.recalculate(ctx, mia, "cn-local", note="local freight survey")
    (new,) = credits.current_credits(ctx)
    assert (new.revision, new.supersedes_id, new.factor_set) == (2, old.id, "cn-local")
    # Only transport changes: 10 × 12.5 × (0.2 − 0.10163) = 12.29625 kg less.
    assert new.credit_kg == pytest.approx(17697.22995 - 12.29625)
    assert run.kind == "recalculate" and run.note == "local freight survey"
    assert [c.revision for c in credits.history(ctx, new.batch_id)] == [1, 2]
    assert credits.get_credit(ctx, old.id).credit_kg == pytest.approx(17697.22995)
    assert credits.recalculate(ctx, mia, "cn-local") is None  # a retry adds nothing
    assert entries(ctx) == 2


def test_epa_set_converts_short_tons(ctx):
    code = register(ctx, material="200108", quantity="1")
    close(ctx, code, who="alice", operation="R3", outputs=[("190503", "1", "t", "weighed")])
    credits.book_credits(ctx, factor_set="epa-hub")
    (credit,) = credits.current_credits(ctx)
    # EPA food waste: landfilled 0.58, composted 0.15 t CO2e per short ton:
    # 1 × (0.58 − 0.15) × 1000 / 0.90718474 = 473.9939 kg
    assert credit.credit_kg == pytest.approx(473.9939, abs=1e-3)
    assert credit.factor_set == "epa-hub"


def test_both_mapping_files_are_reviewed_and_disjoint():
    market = {r["low_code"] for r in factors._csv(factors.DATA / factors.MAPPING_FILES[0])}
    ours = {r["low_code"] for r in factors._csv(factors.DATA / factors.MAPPING_FILES[1])}
    assert not market & ours
    settings = factors.material_settings()
    for code, entry in factors.mapping_table().items():
        assert entry.comment, code
        assert entry.material in settings, entry.material
    for entry in settings.values():
        assert entry.baseline in ("landfill", "energy_recovery")
        assert 0 < entry.substitution <= 1


def test_closed_at_is_the_closing_time(ctx):
    code = register(ctx)
    when = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
    close(ctx, code, who="alice", operation="R4", event_time=when)
    credits.book_credits(ctx)
    (credit,) = credits.current_credits(ctx)
    assert credit.closed_at.replace(tzinfo=UTC) == when
