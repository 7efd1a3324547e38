"""Which offer-demand pairs may exchange, and what each is worth, computed without pair objects.

A regional market has 400 million offer-demand combinations, of which about ten million are
eligible. Pairs are only ever formed inside a material's block (the offers of one material against
the permitted demands that accept it). A cheap dense pass in float32 over each block keeps the
pairs that could be near enough, with a margin that covers float32 rounding; the exact float64
distance and net value are then computed only for those survivors, so the result is exactly the
spec's rule while the bulk of the work runs at the speed of a few vector instructions per pair.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from mfa.matching import kernels
from mfa.matching.instance import Instance

EARTH_RADIUS_KM = 6371.0

#: Pairs per dense chunk: small enough that a chunk's temporaries stay in the CPU cache
#: between the dozen numpy passes over them, large enough that call overhead is noise.
CHUNK_ELEMENTS = 1 << 17

#: Offer-demand combinations per call of the compiled pass: its output buffers (17 bytes a
#: combination) stay at a few megabytes a thread.
COMPILED_CHUNK = 1 << 20

#: Float32 coordinates on the unit sphere are off by at most ~6e-8 each; widening every chord
#: threshold by this much makes the fast pass keep every pair the exact test could accept.
CHORD_MARGIN = 4e-7


@dataclass(frozen=True)
class Market:
    """The eligible pairs as parallel arrays (pairs of one offer lie together).

    `seed` marks, within each material block, every offer's few nearest eligible receivers and
    every demand's nearest eligible supplier: the solver's first guess at the pairs an optimum
    uses (within one material, nearer means more net CO2 per tonne).
    """

    offer: np.ndarray
    demand: np.ndarray
    net_per_t: np.ndarray
    seed: np.ndarray

    @property
    def n_pairs(self) -> int:
        return len(self.offer)


def unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Points on the unit sphere. A chord c between two of them gives the haversine directly,
    hav(theta) = c^2 / 4, without trigonometry per pair and without cancellation for near points."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def road_km(instance: Instance, offers: np.ndarray, demands: np.ndarray) -> np.ndarray:
    """`road_circuity × haversine` for (offer, demand) index pairs, elementwise, in float64."""
    a = unit_vectors(instance.offer_lat[offers], instance.offer_lon[offers])
    b = unit_vectors(instance.demand_lat[demands], instance.demand_lon[demands])
    return chord_km(instance, a, b)


def chord_km(instance: Instance, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`road_km` from the two points' unit vectors (rows of `a` and `b`), so a caller that has
    them for every offer and demand gathers them instead of redoing six trigonometric
    functions per pair (a second of the region's eligibility pass)."""
    chord = np.sqrt(np.square(a - b).sum(axis=1))
    return instance.road_circuity * 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2, 1.0))


def demands_by_material(instance: Instance) -> list[np.ndarray]:
    """For every material index, the demands that accept it, in demand order."""
    owner = np.repeat(
        np.arange(instance.n_demands, dtype=np.int32), np.diff(instance.demand_accepts_ptr)
    )
    return _group(owner, instance.demand_accepts_index, len(instance.material_codes))


def offers_by_material(instance: Instance) -> list[np.ndarray]:
    """For every material index, the offers of it, in offer order."""
    offers = np.arange(instance.n_offers, dtype=np.int32)
    return _group(offers, instance.offer_material, len(instance.material_codes))


def eligible_pairs(
    instance: Instance, seed_per_node: int = 2, workers: int | None = None
) -> Market:
    """Every eligible pair with its net CO2 per tonne, and the solver's seed pairs.

    `workers` threads share the material blocks; numpy releases the GIL in the heavy loops.
    """
    context = _Context(
        instance,
        unit_vectors(instance.offer_lat, instance.offer_lon),
        unit_vectors(instance.demand_lat, instance.demand_lon),
        seed_per_node,
    )
    supply, demand = offers_by_material(instance), demands_by_material(instance)
    jobs = [(m, supply[m], demand[m]) for m in range(len(supply)) if len(supply[m])]
    # Largest blocks first, so the threads finish at about the same time.
    jobs.sort(key=lambda job: -len(job[1]) * len(job[2]))
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda job: _block(context, *job), jobs))
    else:
        parts = [_block(context, *job) for job in jobs]
    chunks = [chunk for part in parts for chunk in part]
    if not chunks:
        none = np.empty(0, dtype=np.int32)
        return Market(none, none, np.empty(0), np.empty(0, dtype=bool))
    return Market(*(np.concatenate([c[k] for c in chunks]) for k in range(4)))


@dataclass(frozen=True)
class _Context:
    instance: Instance
    offer_xyz: np.ndarray
    demand_xyz: np.ndarray
    seed_per_node: int


def _block(
    ctx: _Context, material: int, offers: np.ndarray, demands: np.ndarray
) -> list[tuple[np.ndarray, ...]]:
    """The eligible pairs of one material: compiled where the C library was built (one pass
    that computes each combination once, about a fifth of numpy's time), else numpy."""
    inst = ctx.instance
    benefit = float(inst.material_benefit[material])
    if inst.material_hazardous[material]:
        demands = demands[inst.demand_permit[demands]]
    if len(demands) == 0 or benefit <= 0:
        return []
    # Farther than this, either the receiver refuses or transport eats the whole benefit.
    limit_km = inst.demand_max_km[demands]
    if inst.transport_kgco2e_per_tkm > 0:
        limit_km = np.minimum(limit_km, benefit / inst.transport_kgco2e_per_tkm)
    angle = limit_km / (inst.road_circuity * EARTH_RADIUS_KM)
    chord = 2.0 * np.sin(np.minimum(angle, np.pi) / 2.0) + CHORD_MARGIN
    if kernels.available():
        return _compiled_block(ctx, benefit, offers, demands, np.square(chord))
    return _numpy_block(ctx, benefit, offers, demands, np.square(chord).astype(np.float32))


def _compiled_block(
    ctx: _Context, benefit: float, offers: np.ndarray, demands: np.ndarray, threshold: np.ndarray
) -> list[tuple[np.ndarray, ...]]:
    inst = ctx.instance
    points = (ctx.offer_xyz, ctx.demand_xyz, inst.offer_company, inst.demand_company)
    value = (benefit, inst.transport_kgco2e_per_tkm, inst.road_circuity * 2.0 * EARTH_RADIUS_KM)
    col_dist = np.full(len(demands), np.inf)
    col_pair = np.full(len(demands), -1, dtype=np.int64)
    rows = max(1, COMPILED_CHUNK // len(demands))
    parts, base = [], 0
    for start in range(0, len(offers), rows):
        part = kernels.eligible_block(
            offers[start : start + rows], demands, points, (threshold, inst.demand_max_km),
            value, (ctx.seed_per_node, base, col_dist, col_pair),
        )  # fmt: skip
        base += len(part[0])
        parts.append(part)
    if base == 0:
        return []
    offer, demand, net, seed = (np.concatenate([p[k] for p in parts]) for k in range(4))
    seed[col_pair[col_pair >= 0]] = True
    return [(offer, demand, net, seed)]


def _numpy_block(
    ctx: _Context, benefit: float, offers: np.ndarray, demands: np.ndarray, threshold: np.ndarray
) -> list[tuple[np.ndarray, ...]]:
    """Chunk by chunk of the offers: a float32 prefilter, then the exact test on survivors."""
    inst = ctx.instance
    d_xyz = ctx.demand_xyz[demands].T.astype(np.float32)
    d_company = inst.demand_company[demands]
    n_cols = len(demands)
    rows = max(1, CHUNK_ELEMENTS // n_cols)
    # Each demand's nearest offer over the whole block, kept across chunks.
    col_best = np.full(n_cols, np.inf, dtype=np.float32)
    col_best_row = np.zeros(n_cols, dtype=np.int64)
    keys, wanted, out = [], [], []
    for start in range(0, len(offers), rows):
        block = offers[start : start + rows]
        o_xyz = ctx.offer_xyz[block].astype(np.float32)
        chord2 = np.square(o_xyz[:, 0:1] - d_xyz[0])
        chord2 += np.square(o_xyz[:, 1:2] - d_xyz[1])
        chord2 += np.square(o_xyz[:, 2:3] - d_xyz[2])
        near = chord2 <= threshold
        near &= inst.offer_company[block][:, None] != d_company
        r, c = np.nonzero(near)
        if len(r) == 0:
            continue
        dist = np.where(near, chord2, np.inf)
        chunk_row = np.argmin(dist, axis=0)
        chunk_best = dist[chunk_row, np.arange(n_cols)]
        better = chunk_best < col_best
        col_best[better] = chunk_best[better]
        col_best_row[better] = start + chunk_row[better]
        wanted.append(_row_best(dist, ctx.seed_per_node, start))
        o, d = block[r], demands[c]
        km = chord_km(inst, ctx.offer_xyz[o], ctx.demand_xyz[d])
        net = benefit - inst.transport_kgco2e_per_tkm * km
        keep = (km <= inst.demand_max_km[d]) & (net > 0)
        keys.append((start + r[keep].astype(np.int64)) * n_cols + c[keep])
        out.append((o[keep], d[keep], net[keep]))
    key = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
    if len(key) == 0:
        return []
    found = np.isfinite(col_best)
    wanted.append(col_best_row[found] * n_cols + np.flatnonzero(found))
    seed = np.zeros(len(key), dtype=bool)
    # Keys grow with (offer, demand) position, so the seeds are found by binary search.
    want = np.unique(np.concatenate(wanted))
    pos = np.minimum(np.searchsorted(key, want), len(key) - 1)
    seed[pos[key[pos] == want]] = True
    return [
        (
            np.concatenate([p[0] for p in out]),
            np.concatenate([p[1] for p in out]),
            np.concatenate([p[2] for p in out]),
            seed,
        )
    ]


def _row_best(dist: np.ndarray, k: int, first_row: int) -> np.ndarray:
    """Block keys (row x columns + column) of each row's k smallest entries of a dense chunk;
    ineligible entries are inf and may come out, they are simply never found later."""
    n_rows, n_cols = dist.shape
    row = np.arange(n_rows)
    keys = []
    for _ in range(min(k, n_cols)):
        best = np.argmin(dist, axis=1)
        keys.append((first_row + row) * n_cols + best)
        dist[row, best] = np.inf
    return np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)


def _group(items: np.ndarray, keys: np.ndarray, n_keys: int) -> list[np.ndarray]:
    order = np.argsort(keys, kind="stable")
    return np.split(items[order], np.searchsorted(keys[order], np.arange(1, n_keys)))
