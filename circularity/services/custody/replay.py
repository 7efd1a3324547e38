"""Replaying the mass ledger: what every batch row must hold, from the events alone.

A batch row (its mass, holder, status, destination, closing) is the current state the events
produce, written by the operation beside its event. The hash chain covers the events, not the
rows, so a row edited in the database would pass a check of the chain alone, and the pages,
the access rules and the figures all read the rows. ``Replay`` walks the events in chain
order, applies each one the way its operation changed the rows, and ``compare`` names every
row that differs from the result.

Two things the events do not record are left out: a treatment's outputs and a correction
record their basis (weighed or estimated) only from the events that carry
``circ:outputBases`` or ``circ:basis``; before that the basis of such a batch is unknown and
not compared. A batch's creation time is stamped when its row is made, a moment before its
event's time, so it must lie within ``CREATED_SLACK`` before that time.
"""

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlmodel import Session, select

from circularity.models import Batch

#: How long before its event's time a batch row may have been made (the operation's own work).
CREATED_SLACK = timedelta(seconds=60)
#: The payload's eventTime keeps milliseconds; the column keeps what the clock gave.
TIME_RESOLUTION = timedelta(milliseconds=1)
UNKNOWN = object()


@dataclass
class State:
    """A batch as its events leave it; the columns of ``Batch`` of the same names."""

    material_code: str
    company_id: int
    destination_company_id: int | None
    status: str
    mass_g: int
    basis: object  # "weighed", "estimated" or UNKNOWN
    origin: str
    description: str
    closing_operation: str | None
    version: int
    created_at: datetime


COLUMN_NAMES = {
    "material_code": lazy_gettext("material"),
    "company_id": lazy_gettext("holder"),
    "destination_company_id": lazy_gettext("destination"),
    "status": lazy_gettext("status"),
    "mass_g": lazy_gettext("mass in grams"),
    "basis": lazy_gettext("basis"),
    "origin": lazy_gettext("origin"),
    "description": lazy_gettext("description"),
    "closing_operation": lazy_gettext("closing operation"),
    "version": lazy_gettext("version"),
    "created_at": lazy_gettext("creation time"),
}


class ReplayError(Exception):
    """An event that cannot follow the ones before it (names an unknown batch, makes one
    twice, takes more mass than there is)."""


def event_time(payload: dict) -> datetime:
    return datetime.fromisoformat(payload["eventTime"]).astimezone(UTC)


def aware(moment: datetime) -> datetime:
    """A stored time as UTC; SQLite keeps naive datetimes, which are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Replay:
    """The batches as the events so far leave them, keyed by batch code."""

    def __init__(self) -> None:
        self.batches: dict[str, State] = {}

    def apply(self, payload: dict) -> None:
        """Change the batches as the operation of this event changed their rows; raises
        ReplayError when the event cannot follow the ones before it."""
        operation = payload.get("circ:operation")
        ledger = payload.get("circ:ledger") or []
        existing = [e for e in ledger if e["role"] in ("object", "input")]
        made = [e for e in ledger if e["role"] == "output"]
        when = event_time(payload)
        if operation == "register":
            (entry,) = existing
            ilmd = payload.get("ilmd") or {}
            self._make(
                entry,
                when,
                material_code=ilmd.get("circ:material"),
                company_id=payload.get("circ:companyID"),
                basis=ilmd.get("circ:basis", UNKNOWN),
                origin="registered",
                description=ilmd.get("circ:description", ""),
            )
            return
        if operation not in _RULES:
            raise ReplayError(_("its operation %(operation)s is unknown", operation=operation))
        before = [self._take(entry) for entry in existing]
        _RULES[operation](self, payload, before, made, when)

    def _take(self, entry: dict) -> State:
        """The batch an event acts on, with the event's mass change and one more version."""
        state = self.batches.get(entry["batch"])
        if state is None:
            raise ReplayError(
                _("it acts on batch %(code)s before any event made it", code=entry["batch"])
            )
        if state.mass_g + entry["deltaG"] < 0:
            raise ReplayError(
                _("it takes more mass from batch %(code)s than it holds", code=entry["batch"])
            )
        state.mass_g += entry["deltaG"]
        state.version += 1
        return state

    def _make(self, entry: dict, when: datetime, **values) -> State:
        code = entry["batch"]
        if code in self.batches:
            raise ReplayError(_("it makes batch %(code)s a second time", code=code))
        if entry["deltaG"] < 0:
            raise ReplayError(_("it makes batch %(code)s with a negative mass", code=code))
        state = State(
            destination_company_id=None,
            status="held",
            mass_g=entry["deltaG"],
            closing_operation=None,
            version=1,
            created_at=when,
            **values,
        )
        self.batches[code] = state
        return state

    def _ship(self, payload, before, made, when) -> None:
        for state in before:
            state.status = "in_transit"
            state.destination_company_id = payload.get("circ:destinationCompanyID")

    def _receive(self, payload, before, made, when) -> None:
        for state in before:
            state.company_id = payload.get("circ:destinationCompanyID")
            state.destination_company_id = None
            state.status, state.basis = "held", "weighed"

    def _correct(self, payload, before, made, when) -> None:
        for state in before:
            state.basis = payload.get("circ:basis", UNKNOWN)

    def _split(self, payload, before, made, when) -> None:
        (parent,) = before
        parent.status = "held" if parent.mass_g else "consumed"
        for entry in made:
            self._child(entry, when, parent, "split", parent.basis, parent.material_code)

    def _merge(self, payload, before, made, when) -> None:
        bases = {state.basis for state in before}
        if "estimated" in bases:
            basis = "estimated"
        else:
            basis = "weighed" if bases == {"weighed"} else UNKNOWN
        first = before[0]
        for entry in made:
            self._child(entry, when, first, "merge", basis, first.material_code)
        for state in before:
            state.status = "consumed"

    def _close(self, payload, before, made, when) -> None:
        (treated,) = before
        treated.status = "closed"
        treated.closing_operation = payload.get("circ:operationCode")
        materials = payload.get("circ:outputMaterials") or {}
        bases = payload.get("circ:outputBases") or {}
        for entry in made:
            code = entry["batch"]
            basis = bases.get(code, UNKNOWN)
            self._child(entry, when, treated, "treatment", basis, materials.get(code))

    def _child(self, entry, when, parent: State, origin, basis, material) -> None:
        self._make(
            entry,
            when,
            material_code=material,
            company_id=parent.company_id,
            basis=basis,
            origin=origin,
            # A treatment's output is a new material; a split or merge keeps the words.
            description="" if origin == "treatment" else parent.description,
        )

    def compare(self, session: Session) -> list[str]:
        """What differs between the stored batch rows and the replayed ones, a line each."""
        problems = []
        columns = [f.name for f in fields(State)]
        seen = set()
        stored = session.exec(
            select(Batch).order_by(Batch.id).execution_options(populate_existing=True)
        )
        for row in stored:
            seen.add(row.code)
            state = self.batches.get(row.code)
            if state is None:
                problems.append(_("batch %(code)s has no event that made it", code=row.code))
                continue
            for column in columns:
                problem = _differs(row, state, column)
                if problem:
                    problems.append(problem)
        for code in self.batches.keys() - seen:
            problems.append(_("batch %(code)s was deleted: its events remain", code=code))
        return problems


_RULES = {
    "ship": Replay._ship,
    "receive": Replay._receive,
    "correct": Replay._correct,
    "split": Replay._split,
    "merge": Replay._merge,
    "close": Replay._close,
}


def _differs(row: Batch, state: State, column: str) -> str | None:
    expected, stored = getattr(state, column), getattr(row, column)
    if expected is UNKNOWN:
        return None
    if column == "created_at":
        ahead = aware(stored) - expected
        if -CREATED_SLACK < ahead < TIME_RESOLUTION:
            return None
        stored, expected = aware(stored).isoformat(), expected.isoformat()
    elif stored == expected:
        return None
    return _(
        "batch %(code)s was altered: its %(column)s is %(stored)s, its events give %(expected)s",
        code=row.code,
        column=COLUMN_NAMES[column],
        stored=stored,
        expected=expected,
    )
