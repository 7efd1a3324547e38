"""Circularity indicators: each formula as a plain function, then the park's figures from records.

The formulas and their sources are in docs/methods.md (from the project's METHODS notes): recycling
rate and landfill diversion, Eurostat's circular material use rate adapted to the park, WBCSD CTI
circular inflow and outflow, the Ellen MacArthur Foundation's Material Circularity Indicator, and
figures of the symbiosis network. Formula functions take numbers so that a reader can check them
by hand; the functions over a RecordTable only decide which recorded masses go in, using the one
route table in mfa.routes.

Three counting rules hold for every figure over records (docs/methods.md, "Counting rules"):

- Each tonne counts once, at its own final treatment: a closing counts its mass less the
  outputs it produced (net_closed_by_fate), so recyclate recycled again is not new recycled
  mass and a treatment's residues count by their own fate.
- Exchanges are deliveries between producing companies (producers and recyclers); a delivery
  to waste management (a landfill, an incinerator, a waste-to-energy plant) is disposal, not
  symbiosis, and waste management's own outflows are not counted again.
- Park totals are sums over batches (park_outflow), never sums of per-company figures, which
  count one tonne at its sender and again at its receiver.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice

import networkx as nx
import numpy as np

from mfa.errors import InputError
from mfa.model import BOUNDARY, EXPORTS, Flow, RecordKind, RecordTable
from mfa.routes import FATE_SINK, ROUTES, Fate

_KIND = {k: i for i, k in enumerate(RecordKind)}
_FATES = list(Fate)
_FATE_OF_ROUTE = np.array([_FATES.index(r.fate) for r in ROUTES.values()])
_CIRCULAR_ROUTE = np.array([r.circular for r in ROUTES.values()])
_KEPT = frozenset({FATE_SINK[Fate.RECYCLING], FATE_SINK[Fate.PRELIMINARY]})


def _share(part: float, whole: float, name: str) -> float:
    if part < 0 or whole < 0:
        raise InputError(name, "mass", "masses must not be negative")
    if part > whole * (1 + 1e-12):
        raise InputError(name, "mass", f"part {part:g} exceeds the whole {whole:g}")
    return min(part / whole, 1.0) if whole > 0 else 0.0


def recycling_rate(recycled_kg: float, treated_kg: float) -> float:
    """Recycled mass / mass finally treated (the park's stand-in for generated mass)."""
    return _share(recycled_kg, treated_kg, "recycling rate")


def landfill_diversion_rate(landfilled_kg: float, treated_kg: float) -> float:
    """1 − landfilled / treated; 0 when nothing was treated, so an empty park scores nothing."""
    if treated_kg <= 0:
        return 0.0
    return 1.0 - _share(landfilled_kg, treated_kg, "landfill diversion rate")


def circular_material_use_rate(circular_use_kg: float, virgin_input_kg: float) -> float:
    """Eurostat CMU = U / (DMC + U), with U the circular use and DMC the virgin inputs."""
    if circular_use_kg < 0 or virgin_input_kg < 0:
        raise InputError("circular material use rate", "mass", "masses must not be negative")
    total = virgin_input_kg + circular_use_kg
    return circular_use_kg / total if total > 0 else 0.0


def circular_inflow(secondary_kg: float, renewable_kg: float, total_inflow_kg: float) -> float:
    """CTI % circular inflow = (reused + recycled + renewable sustainably sourced) / total."""
    return _share(secondary_kg + renewable_kg, total_inflow_kg, "circular inflow")


def circular_outflow(outflows: Iterable[tuple[float, float, float]]) -> float:
    """CTI % circular outflow = Σ mᵢ × recovery potentialᵢ × actual recoveryᵢ / Σ mᵢ.

    Each outflow is (mass, recovery potential, actual recovery), both shares in [0, 1].
    """
    total = weighted = 0.0
    for mass, potential, actual in outflows:
        if mass < 0 or not (0 <= potential <= 1 and 0 <= actual <= 1):
            raise InputError("circular outflow", "outflows", "mass >= 0 and shares in [0, 1]")
        total += mass
        weighted += mass * potential * actual
    return weighted / total if total > 0 else 0.0


@dataclass(frozen=True)
class MCIInputs:
    """Inputs of the Material Circularity Indicator for one product (EMF 2015/2019 names)."""

    mass_kg: float  # M
    recycled_feedstock: float  # F_R
    reused_feedstock: float  # F_U
    collected_for_recycling: float  # C_R
    collected_for_reuse: float  # C_U
    recycling_efficiency_collection: float = 1.0  # E_C
    recycling_efficiency_feedstock: float = 1.0  # E_F
    sustained_feedstock: float = 0.0  # F_S
    composted: float = 0.0  # C_C
    energy_recovery: float = 0.0  # C_E
    lifetime_ratio: float = 1.0  # L / L_av
    intensity_ratio: float = 1.0  # U / U_av


@dataclass(frozen=True)
class MCIResult:
    """Every intermediate of the MCI, so a figure can be explained line by line."""

    virgin: float  # V
    waste_unrecoverable: float  # W0
    waste_collection_recycling: float  # W_C
    waste_feedstock_recycling: float  # W_F
    waste: float  # W
    linear_flow_index: float  # LFI
    utility: float  # X
    utility_factor: float  # F(X)
    mci: float


def material_circularity(p: MCIInputs) -> MCIResult:
    """EMF Material Circularity Indicator of one product; see docs/methods.md for the steps."""
    feed = (p.recycled_feedstock, p.reused_feedstock, p.sustained_feedstock)
    end = (p.collected_for_recycling, p.collected_for_reuse, p.composted, p.energy_recovery)
    for share in (*feed, *end):
        if not 0 <= share <= 1:
            raise InputError("MCI", "fractions", "every fraction must lie in [0, 1]")
    if sum(feed) > 1 + 1e-12 or sum(end) > 1 + 1e-12:
        raise InputError("MCI", "fractions", "feedstock or end-of-use fractions sum above 1")
    e_c, e_f = p.recycling_efficiency_collection, p.recycling_efficiency_feedstock
    if not (0 <= e_c <= 1 and 0 < e_f <= 1):
        raise InputError("MCI", "efficiency", "E_C must lie in [0, 1] and E_F in (0, 1]")
    if p.mass_kg <= 0 or p.lifetime_ratio <= 0 or p.intensity_ratio <= 0:
        raise InputError("MCI", "mass_kg", "mass, lifetime and intensity ratios must be > 0")
    m = p.mass_kg
    v = m * (1 - sum(feed))
    w0 = m * (1 - sum(end))
    w_c = m * (1 - e_c) * p.collected_for_recycling
    w_f = m * (1 - e_f) * p.recycled_feedstock / e_f
    w = w0 + (w_f + w_c) / 2
    lfi = (v + w) / (2 * m + (w_f - w_c) / 2)
    x = p.lifetime_ratio * p.intensity_ratio
    f_x = 0.9 / x
    return MCIResult(v, w0, w_c, w_f, w, lfi, x, f_x, max(0.0, 1 - lfi * f_x))


def company_mci(products: Iterable[tuple[float, float]]) -> float:
    """Company MCI: the mass-weighted mean of its products' MCIs, given (mass, MCI) pairs."""
    total = weighted = 0.0
    for mass, mci in products:
        total += mass
        weighted += mass * mci
    return weighted / total if total > 0 else 0.0


def net_by_fate(
    closed_kg: Mapping[str, float], produced_kg: Mapping[str, float]
) -> dict[str, float]:
    """Mass each fate finally treated: closed by its routes less what those closings produced.

    A closing's outputs are counted again where they are closed themselves, so only the rest
    of its mass ended there. Never below 0 (a treatment cannot produce more than it treated).
    """
    return {
        f.value: max(closed_kg.get(f.value, 0.0) - produced_kg.get(f.value, 0.0), 0.0)
        for f in _FATES
    }


def _by_fate(table: RecordTable, mask: np.ndarray) -> dict[str, float]:
    fate = _FATE_OF_ROUTE[table.route[mask]]
    sums = np.bincount(fate, weights=table.mass[mask], minlength=len(_FATES))
    return {f.value: float(sums[i]) for i, f in enumerate(_FATES)}


@dataclass(frozen=True)
class ParkRates:
    """Masses by fate of the closings in a period, and the rates built on them.

    ``closed_kg`` is what the closings of each fate took in, ``produced_kg`` what they put
    out as new batches, and ``by_fate_kg`` the difference: the mass that ended there.
    """

    treated_kg: float
    by_fate_kg: dict[str, float]
    recycling_rate: float
    landfill_diversion_rate: float
    closed_kg: dict[str, float] = field(default_factory=dict)
    produced_kg: dict[str, float] = field(default_factory=dict)


def rates_of(closed_kg: Mapping[str, float], produced_kg: Mapping[str, float]) -> ParkRates:
    """The rates from the masses closed and produced per fate (both as fate -> kg)."""
    masses = net_by_fate(closed_kg, produced_kg)
    treated = sum(v for f, v in masses.items() if f != Fate.PRELIMINARY)
    return ParkRates(
        treated_kg=treated,
        by_fate_kg=masses,
        recycling_rate=recycling_rate(masses[Fate.RECYCLING], treated),
        landfill_diversion_rate=landfill_diversion_rate(masses[Fate.LANDFILL], treated),
        closed_kg=dict(closed_kg),
        produced_kg=dict(produced_kg),
    )


def park_rates(table: RecordTable) -> ParkRates:
    """Recycling and landfill diversion over the closings recorded in the table's period.

    Each tonne counts once: a closing counts its mass less the outputs it produced (treatment
    records carrying its route), which are counted by their own closings. The denominator is
    the mass finally treated (preliminary routes excluded, mfa.routes).
    """
    closing = table.kind == _KIND[RecordKind.CLOSING]
    produced = (table.kind == _KIND[RecordKind.TREATMENT]) & (table.route >= 0)
    return rates_of(_by_fate(table, closing), _by_fate(table, produced))


def park_circular_material_use(table: RecordTable, virgin_input_kg: float) -> float:
    """Park CMU: U = mass closed by recycling routes (by-products and recyclates used in the
    park or sent to recycling), DMC = the virgin inputs the companies declare."""
    recycled = park_rates(table).by_fate_kg[Fate.RECYCLING]
    return circular_material_use_rate(recycled, virgin_input_kg)


@dataclass(frozen=True)
class ParkOutflow:
    """What leaves the park's custody in a period, each tonne once, and the circular part."""

    outflow_kg: float
    circular_kg: float

    @property
    def share(self) -> float | None:
        """CTI % circular outflow of the park (recovery potential 1); None if nothing left."""
        return self.circular_kg / self.outflow_kg if self.outflow_kg > 0 else None


def park_outflow(table: RecordTable) -> ParkOutflow:
    """CTI % circular outflow of the park as one system, summed over batches.

    A tonne leaves the park once: where it is finally treated (a closing's mass less its
    outputs, net_by_fate), lost, or exported. Circular: the net mass closed by R2-R11, and
    exports of batches that are recovered (actual_recovery_by_batch). Summing the companies'
    outflows instead would count a delivered tonne at its sender and again at its receiver.
    """
    net = park_rates(table).by_fate_kg
    lost = float(table.mass[table.kind == _KIND[RecordKind.LOSS]].sum())
    exports = table.nodes.index(EXPORTS) if EXPORTS in table.nodes else -1
    exported = (table.kind == _KIND[RecordKind.SHIPMENT]) & (table.target == exports)
    recovered = actual_recovery_by_batch(table)
    exported_kg = float(table.mass[exported].sum())
    exported_circular = float((table.mass[exported] * recovered[table.batch[exported]]).sum())
    return ParkOutflow(
        outflow_kg=sum(net.values()) + lost + exported_kg,
        circular_kg=net[Fate.RECYCLING] + exported_circular,
    )


def actual_recovery_by_batch(table: RecordTable) -> np.ndarray:
    """1 for a batch whose mass was recovered, else 0, per batch index of the table.

    Recovered: closed by a circular route, or produced by a treatment and never closed (a
    secondary raw material sold on). A batch with no closing in the period counts as not
    recovered: CTI asks for verified recovery, and an unknown fate is not verified.
    """
    n = len(table.batch_ids)
    closing = table.kind == _KIND[RecordKind.CLOSING]
    closed = np.zeros(n, dtype=bool)
    closed[table.batch[closing]] = True
    circular = np.zeros(n)
    hit = closing & _CIRCULAR_ROUTE[np.maximum(table.route, 0)]
    circular[table.batch[hit]] = 1.0
    produced = np.zeros(n, dtype=bool)
    produced[table.batch[table.kind == _KIND[RecordKind.TREATMENT]]] = True
    circular[produced & ~closed] = 1.0
    return circular


def outflow_circularity(
    table: RecordTable, recovery_potential: Mapping[str, float] | None = None
) -> dict[str, float]:
    """CTI % circular outflow of every process, over the edges that leave it in the graph.

    ``recovery_potential`` per material defaults to 1 (technically recoverable). Actual
    recovery: a closing at the process counts when its route is circular, a shipment when the
    batch is recovered wherever it ends (actual_recovery_by_batch), a loss never.
    """
    potential = np.array([(recovery_potential or {}).get(m, 1.0) for m in table.materials] or [1])
    actual = actual_recovery_by_batch(table)
    leaving = (table.target >= 0) & ~table.is_boundary()[table.source]
    shipment = table.kind == _KIND[RecordKind.SHIPMENT]
    closing = table.kind == _KIND[RecordKind.CLOSING]
    by_route = _CIRCULAR_ROUTE[np.maximum(table.route, 0)].astype(float)
    rec = np.where(shipment, actual[table.batch], np.where(closing, by_route, 0.0))
    src, mass = table.source[leaving], table.mass[leaving]
    weighted = mass * potential[table.material[leaving]] * rec[leaving]
    n = len(table.nodes)
    total = np.bincount(src, weights=mass, minlength=n)
    circ = np.bincount(src, weights=weighted, minlength=n)
    return {table.nodes[i]: float(circ[i] / total[i]) for i in np.flatnonzero(total > 0)}


def inflow_circularity(
    table: RecordTable,
    total_inflow_kg: Mapping[str, float],
    renewable_kg: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """CTI % circular inflow per company: received tracked batches (by-products, wastes and
    recyclates, all secondary) plus declared renewable inputs, over the declared total inflow."""
    shipment = table.kind == _KIND[RecordKind.SHIPMENT]
    received = np.bincount(table.target[shipment], weights=table.mass[shipment],
                           minlength=len(table.nodes))  # fmt: skip
    index = {n: i for i, n in enumerate(table.nodes)}
    renewable = renewable_kg or {}
    return {
        company: circular_inflow(
            float(received[index[company]]) if company in index else 0.0,
            renewable.get(company, 0.0),
            total,
        )
        for company, total in total_inflow_kg.items()
    }


@dataclass(frozen=True)
class SymbiosisFigures:
    """The exchange network between companies (boundary nodes excluded)."""

    exchanges: int
    exchange_mass_kg: float
    companies_linked: int
    waste_to_companies_share: float
    closed_loops: int
    loops: tuple[tuple[str, ...], ...]
    loops_capped: bool


def symbiosis(
    flows: Iterable[Flow],
    waste_management: Collection[str] = frozenset(),
    max_loops: int = 1000,
    max_loop_length: int | None = 6,
) -> SymbiosisFigures:
    """Exchanges, linked companies, the share of waste sent to another company, closed loops.

    An exchange is a delivery from one producing company (producer or recycler) to another;
    ``waste_management`` names the processes that dispose of waste (landfills, incinerators,
    waste-to-energy plants): a delivery to them is disposal, and what they ship or close
    themselves is not counted again. The share is exchange mass / the mass the producing
    companies send away (to another company, to waste management, to disposal, energy
    recovery, release, export or loss). Closings into "recycling" and "pretreatment" are left
    out of both: they are uses and transformations inside the park, not waste leaving it.

    Cycles can be exponentially many, so at most ``max_loops`` of length up to
    ``max_loop_length`` are enumerated; ``loops_capped`` says when the count is a lower bound.
    """
    disposers = frozenset(waste_management)
    pairs: dict[tuple[str, str], float] = {}
    leaving = 0.0
    for f in flows:
        if f.source in BOUNDARY or f.source in disposers or f.target in _KEPT:
            continue
        leaving += f.mass_kg
        exchange = f.target not in BOUNDARY and f.target not in disposers
        if exchange and f.target != f.source:
            pairs[(f.source, f.target)] = pairs.get((f.source, f.target), 0.0) + f.mass_kg
    exchange_mass = float(sum(pairs.values()))
    graph = nx.DiGraph()
    graph.add_edges_from(sorted(pairs))
    found = list(islice(nx.simple_cycles(graph, length_bound=max_loop_length), max_loops + 1))
    capped = len(found) > max_loops
    loops = tuple(sorted(tuple(_rotate(c)) for c in found[:max_loops]))
    return SymbiosisFigures(
        exchanges=len(pairs),
        exchange_mass_kg=exchange_mass,
        companies_linked=graph.number_of_nodes(),
        waste_to_companies_share=exchange_mass / leaving if leaving > 0 else 0.0,
        closed_loops=len(loops),
        loops=loops,
        loops_capped=capped,
    )


def _rotate(cycle: list[str]) -> list[str]:
    """Start a cycle at its smallest node, so the same loop always reads the same way."""
    i = cycle.index(min(cycle))
    return cycle[i:] + cycle[:i]
