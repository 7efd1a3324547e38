"""Splitting, merging and closing batches: the operations that move mass between batches.

Mass is conserved by construction: the grams leaving input batches equal the grams in the
output batches, plus, for a closing treatment, what the treatment itself consumed. Every
function checks this before it writes; each is one ``recording.perform``.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from circularity.models import Batch, User
from circularity.services import catalogue
from circularity.services.custody import access
from circularity.services.custody.operations import BASES, new_code
from circularity.services.custody.recording import Outcome, Step, perform, quantity
from circularity.services.errors import InvalidInput
from circularity.services.quantities import format_mass, kilograms, to_grams
from circularity.times import utcnow

MAX_PARTS = 50


def split(
    session: Session,
    user: User,
    code: str,
    *,
    parts: Sequence[tuple[str, str]],
    client_event_id: str,
    expected_version: str | int | None = None,
    event_time: datetime | None = None,
    confirmed: bool = True,
) -> Outcome:
    """Take parts out of a batch into new batches; what is left stays in the batch.

    ``parts`` is a list of (quantity, unit) pairs. Their sum may not exceed the batch; when
    it equals it, the batch is used up (consumed).
    """

    def work(batch: Batch) -> Step:
        masses = _part_masses(parts)
        if sum(masses) > batch.mass_g:
            raise InvalidInput(
                "The parts add up to %(parts)s, more than the %(mass)s in the batch.",
                "parts",
                parts=format_mass(sum(masses)),
                mass=format_mass(batch.mass_g),
            )
        children = [_child(batch, grams, "split", created_at=event_time) for grams in masses]
        session.add_all(children)
        batch.mass_g -= sum(masses)
        batch.status = "held" if batch.mass_g else "consumed"
        session.flush()
        return Step(
            company_id=batch.company_id,
            event_type="TransformationEvent",
            biz_step="repackaging",
            disposition="active",
            ledger=[(batch, "input", -sum(masses))] + [(c, "output", c.mass_g) for c in children],
            fields={
                "inputQuantityList": [quantity(batch, sum(masses))],
                "outputQuantityList": [quantity(c, c.mass_g) for c in children],
            },
        )

    return perform(
        session,
        user,
        "split",
        client_event_id=client_event_id,
        codes=[code],
        expected_version=expected_version,
        event_time=event_time,
        work=work,
        confirmed=confirmed,
        request={"code": code, "parts": [list(part) for part in parts]},
    )


def merge(
    session: Session,
    user: User,
    codes: Sequence[str],
    *,
    client_event_id: str,
    event_time: datetime | None = None,
    confirmed: bool = True,
) -> Outcome:
    """Combine held batches of one material into one new batch; the inputs are consumed."""

    def distinct() -> list[str]:
        unique = list(dict.fromkeys(access.normalise_code(c) for c in codes if c and c.strip()))
        if len(unique) < 2:
            raise InvalidInput("Choose at least two batches to merge.", "batches")
        return unique

    def work(*inputs: Batch) -> Step:
        if len({b.material_code for b in inputs}) > 1:
            raise InvalidInput("Only batches of one material can be merged.", "batches")
        basis = "weighed" if all(b.basis == "weighed" for b in inputs) else "estimated"
        merged = _child(
            inputs[0], sum(b.mass_g for b in inputs), "merge", basis, created_at=event_time
        )
        session.add(merged)
        ledger = []
        for batch in inputs:
            ledger.append((batch, "input", -batch.mass_g))
            batch.mass_g, batch.status = 0, "consumed"
        session.flush()
        return Step(
            company_id=merged.company_id,
            event_type="TransformationEvent",
            biz_step="repackaging",
            disposition="active",
            ledger=[(merged, "output", merged.mass_g)] + ledger,
            fields={
                "inputQuantityList": [quantity(b, -d) for b, _, d in ledger],
                "outputQuantityList": [quantity(merged, merged.mass_g)],
            },
        )

    return perform(
        session,
        user,
        "merge",
        client_event_id=client_event_id,
        codes=distinct,
        event_time=event_time,
        work=work,
        confirmed=confirmed,
        request={"codes": list(codes)},
    )


def close(
    session: Session,
    user: User,
    code: str,
    *,
    operation: str,
    client_event_id: str,
    outputs: Sequence[tuple[str, str, str, str]] = (),
    expected_version: str | int | None = None,
    event_time: datetime | None = None,
    confirmed: bool = True,
) -> Outcome:
    """Close a batch with a recovery (R) or disposal (D) operation.

    ``outputs`` lists (material, quantity, unit, basis) for what the treatment produced,
    which become new batches held by the same company (9.2 t of secondary steel and 0.8 t
    of residue from 10 t of scrap). Outputs may not weigh more than the batch; any
    remainder is what the treatment consumed (burnt, evaporated, landfilled).
    """

    def work(batch: Batch) -> Step:
        route = catalogue.get_operation(operation)
        products = _outputs(batch, outputs, event_time)
        total = sum(p.mass_g for p in products)
        if total > batch.mass_g:
            raise InvalidInput(
                "The outputs weigh %(outputs)s, more than the %(mass)s treated: "
                "a treatment cannot create mass.",
                "outputs",
                outputs=format_mass(total),
                mass=format_mass(batch.mass_g),
            )
        session.add_all(products)
        treated = batch.mass_g
        batch.mass_g, batch.status, batch.closing_operation = 0, "closed", route
        session.flush()
        fields = {
            "circ:operationCode": route,
            "circ:operationName": catalogue.OPERATIONS[route],
            "circ:consumedKg": kilograms(treated - total),
        }
        if products:
            event_type, action = "TransformationEvent", None
            biz_step, disposition = "commissioning", "active"
            fields["inputQuantityList"] = [quantity(batch, treated)]
            fields["outputQuantityList"] = [quantity(p, p.mass_g) for p in products]
            fields["circ:outputMaterials"] = {p.code: p.material_code for p in products}
            fields["circ:outputBases"] = {p.code: p.basis for p in products}
        else:
            event_type, action = "ObjectEvent", "DELETE"
            biz_step = "destroying" if route.startswith("D") else "decommissioning"
            disposition = "disposed" if route.startswith("D") else "inactive"
            fields["quantityList"] = [quantity(batch, treated)]
        return Step(
            company_id=batch.company_id,
            event_type=event_type,
            action=action,
            biz_step=biz_step,
            disposition=disposition,
            ledger=[(batch, "input", -treated)] + [(p, "output", p.mass_g) for p in products],
            fields=fields,
        )

    return perform(
        session,
        user,
        "close",
        client_event_id=client_event_id,
        codes=[code],
        expected_version=expected_version,
        event_time=event_time,
        work=work,
        confirmed=confirmed,
        request={
            "code": code,
            "operation": operation,
            "outputs": [list(output) for output in outputs],
        },
    )


def _part_masses(parts: Sequence[tuple[str, str]]) -> list[int]:
    parts = [p for p in parts if p and str(p[0]).strip()]
    if not parts:
        raise InvalidInput("Give the quantity of at least one part.", "parts")
    if len(parts) > MAX_PARTS:
        raise InvalidInput("Split into at most %(n)d parts at a time.", "parts", n=MAX_PARTS)
    return [to_grams(q, unit, field=f"parts[{i}]") for i, (q, unit) in enumerate(parts)]


def _outputs(
    batch: Batch, outputs: Sequence[tuple[str, str, str, str]], event_time: datetime | None
) -> list[Batch]:
    products = []
    # A row with a material or a quantity is an output: one without the other is refused,
    # never dropped (a treatment would otherwise lose a product without a word).
    filled = [o for o in outputs if o and (str(o[0] or "").strip() or str(o[1] or "").strip())]
    for i, output in enumerate(filled):
        material, quantity_value, unit, basis = output
        if len(products) >= MAX_PARTS:
            raise InvalidInput("At most %(n)d outputs.", "outputs", n=MAX_PARTS)
        entry = catalogue.get_material(material, f"outputs[{i}].material")
        grams = to_grams(quantity_value, unit, field=f"outputs[{i}].quantity")
        if basis not in BASES:
            raise InvalidInput("Weighed or estimated?", f"outputs[{i}].basis")
        products.append(_child(batch, grams, "treatment", basis, entry.code, created_at=event_time))
    return products


def _child(
    parent: Batch,
    grams: int,
    origin: str,
    basis: str | None = None,
    material: str | None = None,
    created_at: datetime | None = None,
) -> Batch:
    """A new batch made from ``parent``, dated by the event that made it."""
    return Batch(
        created_at=created_at or utcnow(),
        code=new_code(),
        material_code=material or parent.material_code,
        company_id=parent.company_id,
        mass_g=grams,
        basis=basis or parent.basis,
        origin=origin,
        description=parent.description if origin != "treatment" else "",
    )
