"""Avoided emissions of a closed batch, and the district's path to climate neutrality.

The crediting rule is METHODS.md's "Avoided emissions of an exchange": for a batch of mass m
(t) closed by a circular route r instead of its baseline route b,

    credit = m × (EF_route[b] − EF_route[r])          disposal avoided
           + m × s × (EF_primary − EF_secondary)      virgin production avoided
           − m × d × EF_freight                       transport actually done

Factors follow the cut-off approach (DEFRA's waste-disposal table and the US EPA Hub waste
factors exclude avoided impacts), so the avoided burden is added here once, explicitly, and
nowhere else. Everything is plain data in, numbers out: the app decides where factors come from
and records what was used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mfa.errors import InputError
from mfa.routes import Fate, route

#: Disposal routes, as DEFRA's "Waste disposal" table names them in its Column Text.
REUSE, OPEN_LOOP, CLOSED_LOOP = "reuse", "open_loop", "closed_loop"
ENERGY_RECOVERY, COMPOSTING = "energy_recovery", "composting"
LANDFILL, ANAEROBIC_DIGESTION = "landfill", "anaerobic_digestion"
DISPOSAL_ROUTES = (
    REUSE,
    OPEN_LOOP,
    CLOSED_LOOP,
    ENERGY_RECOVERY,
    COMPOSTING,
    LANDFILL,
    ANAEROBIC_DIGESTION,
)
DEFRA_DISPOSAL_COLUMNS = {
    "Re-use": REUSE,
    "Open-loop": OPEN_LOOP,
    "Closed-loop": CLOSED_LOOP,
    # DEFRA's 2025 flat file says "Incineration with Energy Recovery"; older editions and the
    # issue say "Combustion". Both name the same route.
    "Incineration with Energy Recovery": ENERGY_RECOVERY,
    "Combustion": ENERGY_RECOVERY,
    "Composting": COMPOSTING,
    "Landfill": LANDFILL,
    "Anaerobic digestion": ANAEROBIC_DIGESTION,
}

#: Material production sources, as DEFRA's "Material use" table names them.
PRIMARY, REUSED, OPEN_LOOP_SOURCE, CLOSED_LOOP_SOURCE = (
    "primary",
    "reused",
    "open_loop_source",
    "closed_loop_source",
)
PRODUCTION_ROUTES = (PRIMARY, REUSED, OPEN_LOOP_SOURCE, CLOSED_LOOP_SOURCE)
DEFRA_PRODUCTION_COLUMNS = {
    "Primary material production": PRIMARY,
    "Re-used": REUSED,
    "Open-loop source": OPEN_LOOP_SOURCE,
    "Closed-loop source": CLOSED_LOOP_SOURCE,
}

DISPOSAL, PRODUCTION, FREIGHT = "disposal", "production", "freight"
KINDS = (DISPOSAL, PRODUCTION, FREIGHT)

#: One short ton is 2000 lb of exactly 0.45359237 kg (US/UK international pound, 1959), so
#: 907.18474 kg. EPA's waste factors are metric t CO2e per short ton: × 1000 / 0.90718474
#: gives kg CO2e per metric tonne (× 1102.311...).
SHORT_TON_T = 0.90718474

#: Units a factor may be given in, with the multiplier to the canonical unit of its kind:
#: kg CO2e per tonne (disposal, production) and kg CO2e per tonne.km (freight).
UNITS: dict[str, dict[str, float]] = {
    DISPOSAL: {
        "kg CO2e/t": 1.0,
        "t CO2e/t": 1000.0,
        "kg CO2e/short ton": 1.0 / SHORT_TON_T,
        "t CO2e/short ton": 1000.0 / SHORT_TON_T,
    },
    FREIGHT: {"kg CO2e/t.km": 1.0, "g CO2e/t.km": 0.001},
}
UNITS[PRODUCTION] = UNITS[DISPOSAL]
CANONICAL_UNIT = {DISPOSAL: "kg CO2e/t", PRODUCTION: "kg CO2e/t", FREIGHT: "kg CO2e/t.km"}


def to_canonical(value: float, unit: str, kind: str) -> float:
    """A factor in the canonical unit of its kind (kg CO2e per t, or per t.km)."""
    try:
        return value * UNITS[kind][unit]
    except KeyError:
        known = ", ".join(UNITS.get(kind, {})) or "none"
        raise InputError(kind, "unit", f"{unit!r} is not one of: {known}") from None


@dataclass(frozen=True)
class CreditRoute:
    """A circular closing as the factor tables know it.

    ``secondary`` names the production source whose difference to primary production is the
    virgin production avoided; None where no material replaces a virgin one in the tables
    (composting, digestion and energy recovery replace fertiliser or fuel, which the cut-off
    tables do not price, so no production term is claimed for them).
    """

    name: str
    disposal: str
    secondary: str | None


RECYCLING = "recycling"
CREDIT_ROUTES: dict[str, CreditRoute] = {
    r.name: r
    for r in (
        CreditRoute(RECYCLING, CLOSED_LOOP, CLOSED_LOOP_SOURCE),
        CreditRoute(REUSE, REUSE, REUSED),
        CreditRoute(COMPOSTING, COMPOSTING, None),
        CreditRoute(ANAEROBIC_DIGESTION, ANAEROBIC_DIGESTION, None),
        CreditRoute(ENERGY_RECOVERY, ENERGY_RECOVERY, None),
    )
}

#: List-of-Waste outputs that show what an R3 treatment was: digestate and anaerobic liquor
#: (19 06 03-06) mean anaerobic digestion; compost and its rejects (19 05 01-03) mean composting.
DIGESTION_OUTPUTS = frozenset({"190603", "190604", "190605", "190606"})
COMPOSTING_OUTPUTS = frozenset({"190501", "190502", "190503"})


def credit_route(
    operation: str, output_materials: Iterable[str] = (), energy_recovery: bool = False
) -> str | None:
    """The credit route of a closing, or None when the closing is not circular.

    Circular means what `mfa.routes` counts as recycling (R2-R11); R3 is split by what it
    produced into anaerobic digestion, composting or recycling. R1 counts only when the park
    chooses to credit energy recovery (``energy_recovery``); landfill, incineration, release
    and preliminary operations never do. No R/D code says "re-use": a re-used item is not
    waste, so reuse is priced by the formula but no closing maps to it.
    """
    fate = route(operation).fate
    if fate is Fate.ENERGY_RECOVERY:
        return ENERGY_RECOVERY if energy_recovery else None
    if fate is not Fate.RECYCLING:
        return None
    outputs = set(output_materials)
    if route(operation).code == "R3":
        if outputs & DIGESTION_OUTPUTS:
            return ANAEROBIC_DIGESTION
        if outputs & COMPOSTING_OUTPUTS:
            return COMPOSTING
    return RECYCLING


@dataclass(frozen=True)
class CreditInputs:
    """Everything one credit depends on, in kg CO2e per t (per t.km for freight)."""

    mass_t: float
    route: str
    baseline: str
    ef_baseline: float
    ef_route: float
    substitution: float = 1.0
    ef_primary: float = 0.0
    ef_secondary: float = 0.0
    distance_km: float = 0.0
    ef_freight: float = 0.0


@dataclass(frozen=True)
class Credit:
    """The three terms of a credit, kg CO2e; ``total`` is what the ledger books."""

    disposal_kg: float
    production_kg: float
    transport_kg: float

    @property
    def total_kg(self) -> float:
        return self.disposal_kg + self.production_kg - self.transport_kg


def credit(inputs: CreditInputs) -> Credit:
    """Apply the crediting rule; raises `InputError` on a value no factor table could give.

    A substitution factor above 1 would claim more virgin material replaced than was recycled,
    so it is refused rather than clipped.
    """
    values = {
        "mass_t": inputs.mass_t,
        "ef_baseline": inputs.ef_baseline,
        "ef_route": inputs.ef_route,
        "substitution": inputs.substitution,
        "ef_primary": inputs.ef_primary,
        "ef_secondary": inputs.ef_secondary,
        "distance_km": inputs.distance_km,
        "ef_freight": inputs.ef_freight,
    }
    for name, value in values.items():
        if not math.isfinite(value) or value < 0:
            raise InputError("credit", name, f"must be a finite number >= 0, not {value!r}")
    if inputs.substitution > 1:
        raise InputError("credit", "substitution", "a substitution factor is at most 1")
    if inputs.route not in CREDIT_ROUTES:
        raise InputError("credit", "route", f"{inputs.route!r} is not a circular route")
    m = inputs.mass_t
    production = 0.0
    if CREDIT_ROUTES[inputs.route].secondary is not None:
        production = m * inputs.substitution * (inputs.ef_primary - inputs.ef_secondary)
    return Credit(
        disposal_kg=m * (inputs.ef_baseline - inputs.ef_route),
        production_kg=production,
        transport_kg=m * inputs.distance_km * inputs.ef_freight,
    )


def chain_distance(
    batch: int,
    shipments: Mapping[int, Iterable[tuple[int, float]]],
    origins: Mapping[int, tuple[int, Iterable[tuple[int, float]]]],
    until_seq: int | None = None,
) -> float:
    """Kilometres travelled by an average tonne of ``batch`` since its mass was registered.

    ``shipments`` maps a batch to its (event seq, km) ship events; ``origins`` maps a batch
    made by a split, merge or treatment to (event seq, [(parent, tonnes taken)]). A tonne of a
    split part or a treatment output carries its parent's distance up to that event; a tonne
    of a merged batch carries the mass-weighted mean of its inputs'. Multiplied by the
    batch's mass this is the tonne-km of every shipment its material made, each counted once
    across the batches that share it.
    """
    total, stack = 0.0, [(batch, until_seq, 1.0)]
    while stack:
        current, limit, weight = stack.pop()
        for seq, km in shipments.get(current, ()):
            if limit is None or seq < limit:
                total += weight * km
        if current in origins:
            seq, parents = origins[current]
            parents = [(p, t) for p, t in parents if t > 0]
            mass = sum(t for _, t in parents)
            for parent, tonnes in parents:
                stack.append((parent, seq, weight * tonnes / mass))
    return total


def path_value(baseline_year: int, baseline_t: float, target_year: int, year: int) -> float:
    """The district's allowed net emissions in ``year`` on a straight line to zero.

    The line runs from the baseline year's inventory to a net balance of zero in the target
    year, and stays at zero after it; before the baseline year there is no path.
    """
    if target_year <= baseline_year:
        raise InputError("path", "target_year", "must come after the baseline year")
    if year < baseline_year:
        raise InputError("path", "year", "is before the baseline year")
    if year >= target_year:
        return 0.0
    return baseline_t * (target_year - year) / (target_year - baseline_year)
