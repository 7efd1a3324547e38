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

The mass m is what reaches final recycling (Commission Implementing Decision (EU) 2019/1004:
the measurement point is the input to the final recycling operation), followed through the
custody record by `credited_mass`: a closing's outputs count by their own fate, residues sent
to disposal or energy recovery and losses are not credited, and a tonne is credited once
however often it is recycled again (`counted_share`). Energy recovery is never a credit route.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mfa.errors import InputError
from mfa.routes import Fate, route

#: Disposal routes, as DEFRA's "Waste disposal" table names them in its Column Text.
#: ``energy_recovery`` is DEFRA's "Incineration with Energy Recovery" row, which counts
#: collection and transport only (the stack belongs to the energy generator); ``incineration``
#: is burning with its fossil CO2 included (EPA "combusted", or DEFRA's row plus IPCC 2006
#: carbon contents), the factor to use wherever burning is the baseline or the route.
REUSE, OPEN_LOOP, CLOSED_LOOP = "reuse", "open_loop", "closed_loop"
ENERGY_RECOVERY, COMPOSTING = "energy_recovery", "composting"
LANDFILL, ANAEROBIC_DIGESTION = "landfill", "anaerobic_digestion"
INCINERATION = "incineration"
DISPOSAL_ROUTES = (
    REUSE,
    OPEN_LOOP,
    CLOSED_LOOP,
    ENERGY_RECOVERY,
    INCINERATION,
    COMPOSTING,
    LANDFILL,
    ANAEROBIC_DIGESTION,
)
#: Routes a material's waste may otherwise meet (its baseline). Burning is always
#: ``incineration``, whose factor includes the stack.
BASELINE_ROUTES = (LANDFILL, INCINERATION, COMPOSTING, ANAEROBIC_DIGESTION)
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


#: Per kind, (held above, refused above) in the canonical unit. A factor above the first is
#: beyond any material's in the published tables and is recorded only when a person confirms
#: it; above the second it cannot be a factor at all (docs/carbon.md, "Bounds").
#: - disposal: burning a tonne of pure carbon gives 3,664 kg CO2 and turning all of it into
#:   landfill methane about 19,000 kg CO2e, so 20,000 kg/t is beyond any waste; 1e6 is absurd.
#: - production: DEFRA 2025's highest material-use factor is 28,380 kg/t (NiMH batteries);
#:   platinum-group metals reach the order of 1e7 kg/t, so 1e9 (a tonne per gram) is absurd.
#: - freight: DEFRA 2025's highest tonne.km factor is 4.60397 (domestic air freight with
#:   radiative forcing, row 27_317_3152_14_1); 1,000 is absurd.
FACTOR_BOUNDS: dict[str, tuple[float, float]] = {
    DISPOSAL: (20_000.0, 1e6),
    PRODUCTION: (50_000.0, 1e9),
    FREIGHT: (5.0, 1000.0),
}


def factor_beyond(value: float, kind: str) -> str | None:
    """ "refused", "held" (needs a confirmation) or None for a factor in the canonical unit."""
    held, refused = FACTOR_BOUNDS[kind]
    if not math.isfinite(value) or value > refused:
        return "refused"
    return "held" if value > held else None


def fossil_co2_kg_per_t(
    dry_matter: float, carbon_content: float, fossil_fraction: float, oxidation: float = 1.0
) -> float:
    """Fossil CO2 of burning one tonne of wet waste, kg (IPCC 2006 vol. 5 ch. 5, eq. 5.1).

    CO2 = dm × CF × FCF × OF × 44/12 per tonne, with the dry-matter share of the wet mass, the
    carbon share of the dry matter, the fossil share of that carbon (vol. 5 ch. 2 Table 2.4)
    and the oxidation factor (1 for municipal solid waste incinerators, Table 5.2).
    """
    for name, share in (
        ("dry_matter", dry_matter),
        ("carbon_content", carbon_content),
        ("fossil_fraction", fossil_fraction),
        ("oxidation", oxidation),
    ):
        if not (math.isfinite(share) and 0 <= share <= 1):
            raise InputError("fossil carbon", name, "a share from 0 to 1")
    return 1000.0 * dry_matter * carbon_content * fossil_fraction * oxidation * 44.0 / 12.0


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
    )
}

#: List-of-Waste outputs that show what an R3 treatment was: digestate and anaerobic liquor
#: (19 06 03-06) mean anaerobic digestion; compost and its rejects (19 05 01-03) mean composting.
DIGESTION_OUTPUTS = frozenset({"190603", "190604", "190605", "190606"})
COMPOSTING_OUTPUTS = frozenset({"190501", "190502", "190503"})


def credit_route(operation: str, output_materials: Iterable[str] = ()) -> str | None:
    """The credit route of a closing, or None when the closing is not circular.

    Circular means what `mfa.routes` counts as recycling (R2-R11); R3 is split by what it
    produced into anaerobic digestion, composting or recycling. Energy recovery (R1) is not a
    circular route (WBCSD CTI) and is never credited; nor are landfill, incineration, release
    and preliminary operations. No R/D code says "re-use": a re-used item is not waste, so
    reuse is priced by the formula but no closing maps to it.
    """
    fate = route(operation).fate
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


_FACTOR_KINDS = {
    "ef_baseline": DISPOSAL,
    "ef_route": DISPOSAL,
    "ef_primary": PRODUCTION,
    "ef_secondary": PRODUCTION,
    "ef_freight": FREIGHT,
}


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
    for name, kind in _FACTOR_KINDS.items():
        if factor_beyond(values[name], kind) == "refused":
            raise InputError("credit", name, f"{values[name]:g} is beyond any {kind} factor")
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


def benefit_per_tonne(inputs: CreditInputs) -> float:
    """kg CO2e avoided per tonne by the rule, before transport: what a matching proposal shows
    and, times the mass, what the ledger books (market and ledger use this one function)."""
    one = Credit(0.0, 0.0, 0.0)
    if inputs.mass_t > 0:
        found = credit(inputs)
        one = Credit(found.disposal_kg / inputs.mass_t, found.production_kg / inputs.mass_t, 0.0)
    return one.disposal_kg + one.production_kg


@dataclass(frozen=True)
class Closing:
    """How a batch ended: its R/D route, the tonnes it closed and the batches it produced."""

    route: str
    mass_t: float
    outputs: tuple[int, ...] = ()


@dataclass(frozen=True)
class Custody:
    """The custody record as plain data, enough to follow where a tonne went.

    ``closings``: batch -> its closing. ``open_t``: batch -> tonnes it still holds (not yet
    closed: held, in transit or stored). ``children``: batch -> [(child, share)], every batch
    made from it by a split, merge or closing, with the share of the child's mass that came
    from it. ``parents``: child -> [(parent, share, by a circular closing)].
    """

    closings: Mapping[int, Closing]
    open_t: Mapping[int, float]
    children: Mapping[int, Sequence[tuple[int, float]]]
    parents: Mapping[int, Sequence[tuple[int, float, bool]]]


@dataclass(frozen=True)
class MassFate:
    """What became of a closing's mass: tonnes that reached final recycling, tonnes whose fate
    is not known yet, and the batches where each part ended (batch -> (final, pending))."""

    final_t: float
    pending_t: float
    ends: dict[int, tuple[float, float]]

    @property
    def provisional(self) -> bool:
        return self.pending_t > 0


def credited_mass(batch: int, custody: Custody) -> MassFate:
    """The tonnes of ``batch``'s circular closing that reached final recycling.

    A closing without outputs is final recycling of what it closed. A closing with outputs
    (sorting, shredding) is followed to its outputs, and each output to its own fate: closed
    by a circular route without outputs it counts, burnt, landfilled, stored (R13, D15) or
    lost it does not, still held it is pending. Merges pass on the share a batch gave them.
    Raises InputError when ``batch`` has no circular closing.
    """
    closing = custody.closings.get(batch)
    if closing is None or credit_route(closing.route) is None:
        raise InputError("credit", "batch", f"batch {batch} has no circular closing")
    ends: dict[int, list[float]] = {}
    if not closing.outputs:
        ends[batch] = [closing.mass_t, 0.0]
    stack = [(output, 1.0) for output in closing.outputs]
    while stack:
        current, weight = stack.pop()
        end = custody.closings.get(current)
        if end is not None and not end.outputs and route(end.route).circular:
            ends.setdefault(current, [0.0, 0.0])[0] += weight * end.mass_t
        held = custody.open_t.get(current, 0.0)
        if end is None and held > 0:
            ends.setdefault(current, [0.0, 0.0])[1] += weight * held
        for child, share in custody.children.get(current, ()):
            stack.append((child, weight * share))
    final = sum(f for f, _ in ends.values())
    pending = sum(p for _, p in ends.values())
    return MassFate(final, pending, {b: (f, p) for b, (f, p) in ends.items()})


def counted_share(batch: int, custody: Custody) -> float:
    """The share of ``batch``'s mass already credited at an earlier circular closing.

    Recyclate recycled again is not new recycled mass: a batch made by a circular closing is
    wholly counted there; a batch merged from such recyclate and fresh waste is counted in
    the recyclate's share only.
    """
    memo: dict[int, float] = {}

    def share_of(current: int) -> float:
        if current not in memo:
            memo[current] = sum(
                share * (1.0 if circular else share_of(parent))
                for parent, share, circular in custody.parents.get(current, ())
            )
        return memo[current]

    return min(max(share_of(batch), 0.0), 1.0)


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
