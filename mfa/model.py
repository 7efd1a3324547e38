"""The flow model: custody records in, flows between processes and a flow graph out.

The web app hands mfa plain custody records (one per event that moved or ended a batch); this
module turns them into the flows of a material-flow analysis. A park-year holds about a million
records, so records are coded once into numpy columns (RecordTable) and every aggregation is a
vectorised group-by on those columns instead of a Python loop per record.

How records become edges of the graph (boundary nodes in quotes). Every record is an edge, so
the balance of a process is its custody ledger: received + generated + produced = shipped +
closed + lost + change of what it holds.

- generation: a company registers a batch it produced: "generation" -> company.
- shipment: source -> target; a missing source is "imports", a missing target "exports".
- loss: mass lost at the source (a receipt discrepancy, a spill): source -> target, by default
  "atmosphere".
- closing: the batch ends at the source by an R/D route: source -> the route's sink
  ("recycling", "energy_recovery", "incineration", "landfill", "release", "pretreatment";
  mfa.routes).
- treatment: a facility creates an output batch from what it closed: "transformation" -> source.
  It carries its closing's route (when known), so the indicators can count a closing's mass
  less what it produced: each tonne once, at its own final treatment (mfa.indicators).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import networkx as nx
import numpy as np

from mfa.errors import InputError
from mfa.reconcile import FlowInput, FlowSystem, StockInput
from mfa.routes import FATE_SINK, ROUTES, route
from mfa.uncertainty import DEFAULT_FLOOR_KG, DEFAULT_RELATIVE_SD

IMPORTS = "imports"
EXPORTS = "exports"
GENERATION = "generation"
TRANSFORMATION = "transformation"
ATMOSPHERE = "atmosphere"
#: Nodes outside the park: where mass comes from or ends. Process ids must not use these names.
BOUNDARY = frozenset(
    {IMPORTS, EXPORTS, GENERATION, TRANSFORMATION, ATMOSPHERE, *FATE_SINK.values()}
)


class RecordKind(StrEnum):
    """What a custody record did to its batch; see the module docstring."""

    GENERATION = "generation"
    SHIPMENT = "shipment"
    LOSS = "loss"
    TREATMENT = "treatment"
    CLOSING = "closing"


@dataclass(frozen=True, slots=True)
class CustodyRecord:
    """One custody event as plain data: what the app produces from its event log.

    ``time`` is anything ordered (a datetime or a number) and must match the period bounds.
    ``basis`` says how the mass was obtained ("weighed", "estimated", ...; mfa.uncertainty).
    """

    batch_id: str
    material: str
    mass_kg: float
    source: str | None
    target: str | None
    time: Any
    kind: str
    route: str | None = None
    basis: str = "weighed"


@dataclass(frozen=True)
class Process:
    """A node of the park: a company, a treatment facility, or a boundary node."""

    id: str
    name: str
    kind: str = "company"


@dataclass(slots=True)
class Flow:
    """Mass moved from source to target in a period, with the batches behind it.

    Not frozen: a park-year has hundreds of thousands of flows and a frozen dataclass takes
    several times longer to build.
    """

    id: str
    source: str
    target: str
    material: str
    period: str
    mass_kg: float
    sd_kg: float | None
    batch_ids: tuple[str, ...]


@dataclass(frozen=True)
class Stock:
    """Change of the mass held by a process over a period (positive when it accumulates)."""

    process: str
    material: str
    change_kg: float
    sd_kg: float | None = None
    period: str = ""


_KINDS = list(RecordKind)
_ROUTE_CODES = list(ROUTES)


class RecordTable:
    """Custody records of one period as numpy columns; see the module docstring.

    Columns (one entry per record): ``kind`` (index into RecordKind), ``source``, ``target``
    (index into ``nodes``, -1 for no edge), ``owner`` (the process the record happened at),
    ``material`` (index into ``materials``), ``batch`` (index into ``batch_ids``), ``route``
    (index into mfa.routes.ROUTES, -1 for none; a closing's, or the route of the closing that
    produced a treatment output), ``mass`` and ``sd`` in kg.
    """

    def __init__(
        self,
        records: Iterable[CustodyRecord],
        period_start: Any = None,
        period_end: Any = None,
        relative_sd: dict[str, float] | None = None,
        floor_kg: float = DEFAULT_FLOOR_KG,
    ):
        self.period = f"{_label(period_start)}/{_label(period_end)}"
        nodes: dict[str, int] = {b: i for i, b in enumerate(sorted(BOUNDARY))}
        materials: dict[str, int] = {}
        batches: dict[str, int] = {}
        bases: dict[str, int] = {}
        kind_index = {k.value: i for i, k in enumerate(_KINDS)}
        route_index = {c: i for i, c in enumerate(_ROUTE_CODES)}
        sink_of = [nodes[r.sink] for r in ROUTES.values()]
        cols: tuple[list, ...] = ([], [], [], [], [], [], [], [], [])
        kind_c, src_c, tgt_c, own_c, mat_c, batch_c, route_c, mass_c, basis_c = cols
        imports, exports, generation, atmosphere, transformation = (
            nodes[IMPORTS], nodes[EXPORTS], nodes[GENERATION], nodes[ATMOSPHERE],
            nodes[TRANSFORMATION],
        )  # fmt: skip
        for n, r in enumerate(records):
            if (period_start is not None and r.time < period_start) or (
                period_end is not None and r.time >= period_end
            ):
                continue
            k = kind_index.get(r.kind)
            if k is None:
                raise InputError(f"record {n} (batch {r.batch_id})", "kind", f"unknown {r.kind!r}")
            source = -1 if r.source is None else nodes.setdefault(r.source, len(nodes))
            target = -1 if r.target is None else nodes.setdefault(r.target, len(nodes))
            route_k = -1
            owner = source
            if k == 0:  # generation: the producing company is the record's source
                source, target = generation, source
                owner = target
            elif k == 1:  # shipment
                source = imports if source < 0 else source
                target = exports if target < 0 else target
            elif k == 2:  # loss
                target = atmosphere if target < 0 else target
            elif k == 3:  # treatment output: produced at the source, by its closing's route
                source, target = transformation, source
                owner = target
                if r.route:
                    route_k = route_index[route(r.route, f"record {n} (batch {r.batch_id})").code]
            else:  # closing
                code = route(r.route or "", f"record {n} (batch {r.batch_id})").code
                route_k = route_index[code]
                target = sink_of[route_k]
            if owner < 0:
                raise InputError(f"record {n} (batch {r.batch_id})", "source", "is required")
            kind_c.append(k)
            src_c.append(source)
            tgt_c.append(target)
            own_c.append(owner)
            mat_c.append(materials.setdefault(r.material, len(materials)))
            batch_c.append(batches.setdefault(r.batch_id, len(batches)))
            route_c.append(route_k)
            mass_c.append(r.mass_kg)
            basis_c.append(bases.setdefault(r.basis, len(bases)))
        self.nodes = list(nodes)
        self.materials = list(materials)
        self.batch_ids = np.array(list(batches), dtype=object)
        self.kind = np.array(kind_c, dtype=np.int8)
        self.source = np.array(src_c, dtype=np.int64)
        self.target = np.array(tgt_c, dtype=np.int64)
        self.owner = np.array(own_c, dtype=np.int64)
        self.material = np.array(mat_c, dtype=np.int64)
        self.batch = np.array(batch_c, dtype=np.int64)
        self.route = np.array(route_c, dtype=np.int64)
        self.mass = np.array(mass_c, dtype=float)
        if len(self.mass) and not np.all(np.isfinite(self.mass) & (self.mass >= 0)):
            bad = int(np.flatnonzero(~(np.isfinite(self.mass) & (self.mass >= 0)))[0])
            raise InputError(f"record in period #{bad}", "mass_kg", "must be a finite mass >= 0")
        table = DEFAULT_RELATIVE_SD if relative_sd is None else relative_sd
        for basis in bases:
            if basis not in table:
                raise InputError("records", "basis", f"unknown basis {basis!r}")
        share = np.array([table[b] for b in bases] or [0.0])[np.array(basis_c, dtype=np.int64)]
        self.sd = np.where(share > 0, np.maximum(self.mass * share, floor_kg), 0.0)

    def __len__(self) -> int:
        return len(self.mass)

    def is_boundary(self) -> np.ndarray:
        """Boolean per node: True for boundary nodes."""
        return np.array([n in BOUNDARY for n in self.nodes])


def as_table(
    records: RecordTable | Iterable[CustodyRecord], period_start: Any = None, period_end: Any = None
) -> RecordTable:
    """Accept either records or an already coded table, so callers can code once and reuse."""
    if isinstance(records, RecordTable):
        return records
    return RecordTable(records, period_start, period_end)


def build_flows(
    records: RecordTable | Iterable[CustodyRecord],
    period_start: Any = None,
    period_end: Any = None,
    by: str = "company",
) -> list[Flow]:
    """Aggregate the records of [period_start, period_end) into flows.

    ``by="company"`` gives one flow per source and target with every material summed (material
    "*"); ``by="material"`` one per source, target and material. Standard deviations add in
    quadrature, since the records' errors are independent.
    """
    if by not in ("company", "material"):
        raise InputError("build_flows", "by", f"must be 'company' or 'material', not {by!r}")
    t = as_table(records, period_start, period_end)
    edge = np.flatnonzero(t.target >= 0)
    n_nodes, n_mat = len(t.nodes), max(len(t.materials), 1)
    key = t.source[edge] * n_nodes + t.target[edge]
    if by == "material":
        key = key * n_mat + t.material[edge]
    keys, group = _group(key)
    mass = np.bincount(group, weights=t.mass[edge], minlength=len(keys)).tolist()
    sd = np.sqrt(np.bincount(group, weights=t.sd[edge] ** 2, minlength=len(keys))).tolist()
    # Batch ids per flow, each once, in order of first appearance (batch indices are
    # assigned in that order): unique (flow, batch) pairs come out sorted exactly so.
    pairs = _group(group * max(len(t.batch_ids), 1) + t.batch[edge])[0]
    pair_group, pair_batch = np.divmod(pairs, max(len(t.batch_ids), 1))
    bounds = np.searchsorted(pair_group, np.arange(len(keys) + 1)).tolist()
    batch_names = t.batch_ids[pair_batch].tolist()
    if by == "material":
        keys, mat = np.divmod(keys, n_mat)
        material = np.array(t.materials, dtype=object)[mat].tolist()
    else:
        material = ["*"] * len(keys)
    src, dst = np.divmod(keys, n_nodes)
    names = np.array(t.nodes, dtype=object)
    sources, targets = names[src].tolist(), names[dst].tolist()
    suffix = [""] * len(keys) if by == "company" else [f":{m}" for m in material]
    period = t.period
    flows = [
        Flow(f"{s}->{d}{x}", s, d, m, period, w, e, tuple(batch_names[lo:hi]))
        for s, d, x, m, w, e, lo, hi in zip(
            sources, targets, suffix, material, mass, sd, bounds[:-1], bounds[1:], strict=True
        )
    ]
    return flows


def aggregate(flows: Iterable[Flow], by: str = "company") -> list[Flow]:
    """Re-aggregate flows: per material flows summed to company level, or left per material."""
    groups: dict[tuple, list[Flow]] = {}
    for f in flows:
        key = (f.source, f.target) if by == "company" else (f.source, f.target, f.material)
        groups.setdefault(key, []).append(f)
    out = []
    for key, members in groups.items():
        material = "*" if by == "company" else key[2]
        sds = [m.sd_kg for m in members]
        sd = None if any(s is None for s in sds) else float(np.sqrt(sum(s * s for s in sds)))
        ids = tuple(dict.fromkeys(b for m in members for b in m.batch_ids))
        name = f"{key[0]}->{key[1]}" + ("" if by == "company" else f":{material}")
        mass = float(sum(m.mass_kg for m in members))
        out.append(Flow(name, key[0], key[1], material, members[0].period, mass, sd, ids))
    return out


def flow_graph(flows: Iterable[Flow], processes: Sequence[Process] = ()) -> nx.MultiDiGraph:
    """A MultiDiGraph with one edge per flow (key: material); nodes carry their ``kind``."""
    graph = nx.MultiDiGraph()
    for p in processes:
        graph.add_node(p.id, name=p.name, kind=p.kind)
    for f in flows:
        for node in (f.source, f.target):
            if node not in graph:
                graph.add_node(node, name=node, kind="boundary" if node in BOUNDARY else "company")
        graph.add_edge(
            f.source, f.target, key=f.material, mass_kg=f.mass_kg, sd_kg=f.sd_kg,
            batch_ids=f.batch_ids, id=f.id,
        )  # fmt: skip
    return graph


def to_flow_system(
    flows: Sequence[Flow], stocks: Sequence[Stock] = (), unit: str = "kg"
) -> FlowSystem:
    """The reconciliation input for these flows: every non-boundary node must balance."""
    processes = sorted({n for f in flows for n in (f.source, f.target) if n not in BOUNDARY})
    processes += sorted({s.process for s in stocks} - set(processes))
    return FlowSystem(
        tuple(processes),
        tuple(FlowInput(f.id, f.source, f.target, f.mass_kg, f.sd_kg) for f in flows),
        tuple(StockInput(s.process, s.change_kg, s.sd_kg) for s in stocks),
        unit,
    )


def _group(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys and each element's group: np.unique by sorting, which is faster
    than numpy's hash-based unique on a million integers."""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    start = np.ones(len(ordered), dtype=bool)
    start[1:] = ordered[1:] != ordered[:-1]
    group = np.empty(len(key), dtype=np.int64)
    group[order] = np.cumsum(start) - 1
    return ordered[start], group


def _label(bound: Any) -> str:
    if bound is None:
        return ""
    iso = getattr(bound, "isoformat", None)
    return iso() if iso else str(bound)
