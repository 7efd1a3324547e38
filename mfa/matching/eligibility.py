"""Which offer-demand pairs may exchange, and what each is worth, computed without pair objects.

A regional market has 400 million offer-demand combinations, of which about ten million are
eligible. Pairs are only ever formed inside a material's block (the offers of one material against
the demands that accept it), in row chunks, so the work and memory follow the candidates, not the
whole cross product. The same pass records, per offer, how far its best pair got through the rules:
that is what explains an offer left unmatched.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from mfa.matching.instance import Instance

EARTH_RADIUS_KM = 6371.0

#: Elements of one dense chunk; about 16 MB per float64 temporary keeps the chunks in memory
#: while staying large enough that numpy's per-call overhead does not matter.
CHUNK_ELEMENTS = 1 << 21


class Stage(IntEnum):
    """How far an offer's best pair got through the eligibility rules, checked in this order."""

    NO_DEMAND = 0  # no demand accepts the material
    SAME_COMPANY = 1  # only the offering company's own demands accept it
    NO_PERMIT = 2  # hazardous, and no other company that accepts it holds a permit
    TOO_FAR = 3  # every permitted receiver is beyond its maximum distance
    TRANSPORT = 4  # transport to every receiver in range emits more than the exchange saves
    ELIGIBLE = 5  # at least one eligible pair


@dataclass(frozen=True)
class Market:
    """The eligible pairs as parallel arrays, pairs of one offer stored next to each other.

    `seed` marks, within each material block, every offer's and every demand's best few pairs by
    net CO2 per tonne: the solver's first guess at the pairs an optimum uses.
    """

    offer: np.ndarray
    demand: np.ndarray
    distance_km: np.ndarray
    net_per_t: np.ndarray
    seed: np.ndarray
    offer_stage: np.ndarray

    @property
    def n_pairs(self) -> int:
        return len(self.offer)


def unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, so a chord length gives the haversine angle without trigonometry
    per pair: hav(theta) = chord^2 / 4, and chord differences stay exact for nearby points."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def distances_km(instance: Instance, offers: np.ndarray, demands: np.ndarray) -> np.ndarray:
    """Road distance of the given (offer, demand) index pairs, elementwise, as the spec defines."""
    a = unit_vectors(instance.offer_lat[offers], instance.offer_lon[offers])
    b = unit_vectors(instance.demand_lat[demands], instance.demand_lon[demands])
    chord = np.sqrt(((a - b) ** 2).sum(axis=1))
    angle = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))
    return instance.road_circuity * EARTH_RADIUS_KM * angle


def eligible_pairs(
    instance: Instance, seed_per_node: int = 4, workers: int | None = None
) -> Market:
    """Every eligible pair with its distance and net CO2 per tonne, and each offer's `Stage`.

    `workers` threads share the material blocks; numpy releases the GIL in the heavy loops.
    """
    n_companies = 1 + int(
        max(instance.offer_company.max(initial=-1), instance.demand_company.max(initial=-1))
    )
    accept_demand = np.repeat(
        np.arange(instance.n_demands, dtype=np.int32), np.diff(instance.demand_accepts_ptr)
    )
    accept_material = instance.demand_accepts_index
    order = np.argsort(accept_material, kind="stable")
    demands_by_material = np.split(
        accept_demand[order],
        np.searchsorted(accept_material[order], np.arange(1, len(instance.material_codes))),
    )
    offer_order = np.argsort(instance.offer_material, kind="stable")
    offers_by_material = np.split(
        offer_order,
        np.searchsorted(
            instance.offer_material[offer_order], np.arange(1, len(instance.material_codes))
        ),
    )
    context = _Context(
        instance,
        unit_vectors(instance.offer_lat, instance.offer_lon),
        unit_vectors(instance.demand_lat, instance.demand_lon),
        n_companies,
        seed_per_node,
    )
    stage = np.zeros(instance.n_offers, dtype=np.int8)
    jobs = [
        (m, offers_by_material[m], demands_by_material[m])
        for m in range(len(instance.material_codes))
        if len(offers_by_material[m])
    ]
    # Largest blocks first, so two threads finish at about the same time.
    jobs.sort(key=lambda job: -len(job[1]) * len(job[2]))
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda job: _block(context, *job, stage), jobs))
    else:
        parts = [_block(context, *job, stage) for job in jobs]
    chunks = [chunk for part in parts for chunk in part]
    if not chunks:
        empty_i, empty_f = np.empty(0, dtype=np.int32), np.empty(0)
        return Market(empty_i, empty_i, empty_f, empty_f, np.empty(0, dtype=bool), stage)
    return Market(
        offer=np.concatenate([c[0] for c in chunks]),
        demand=np.concatenate([c[1] for c in chunks]),
        distance_km=np.concatenate([c[2] for c in chunks]),
        net_per_t=np.concatenate([c[3] for c in chunks]),
        seed=np.concatenate([c[4] for c in chunks]),
        offer_stage=stage,
    )


@dataclass(frozen=True)
class _Context:
    instance: Instance
    offer_xyz: np.ndarray
    demand_xyz: np.ndarray
    n_companies: int
    seed_per_node: int


def _block(
    ctx: _Context, material: int, offers: np.ndarray, demands: np.ndarray, stage: np.ndarray
) -> list[tuple[np.ndarray, ...]]:
    """Pairs of one material; writes `stage` for its own offers only, so threads never collide."""
    inst = ctx.instance
    if len(demands) == 0:
        return []
    stage[offers] = Stage.SAME_COMPANY
    o_company = inst.offer_company[offers]
    stage[offers[_has_other_company(ctx, o_company, demands)]] = Stage.NO_PERMIT
    if inst.material_hazardous[material]:
        demands = demands[inst.demand_permit[demands]]
    if len(demands) == 0:
        return []
    other = _has_other_company(ctx, o_company, demands)
    stage[offers[other]] = Stage.TOO_FAR
    offers = offers[other]
    if len(offers) == 0:
        return []

    d_xyz = ctx.demand_xyz[demands].T.copy()
    d_company = inst.demand_company[demands]
    d_max = inst.demand_max_km[demands]
    benefit = inst.material_benefit[material]
    scale = inst.road_circuity * 2.0 * EARTH_RADIUS_KM
    transport = inst.transport_kgco2e_per_tkm
    rows = max(1, CHUNK_ELEMENTS // len(demands))
    out = []
    for start in range(0, len(offers), rows):
        block = offers[start : start + rows]
        o_xyz = ctx.offer_xyz[block]
        chord2 = np.square(o_xyz[:, 0:1] - d_xyz[0])
        chord2 += np.square(o_xyz[:, 1:2] - d_xyz[1])
        chord2 += np.square(o_xyz[:, 2:3] - d_xyz[2])
        np.sqrt(chord2, out=chord2)
        chord2 *= 0.5
        np.minimum(chord2, 1.0, out=chord2)
        dist = np.arcsin(chord2, out=chord2)
        dist *= scale
        ok = dist <= d_max
        ok &= inst.offer_company[block][:, None] != d_company
        stage[block[ok.any(axis=1)]] = Stage.TRANSPORT
        net = benefit - transport * dist
        ok &= net > 0
        stage[block[ok.any(axis=1)]] = Stage.ELIGIBLE
        r, c = np.nonzero(ok)
        if len(r) == 0:
            continue
        seed = _seed(np.where(ok, net, -np.inf), ctx.seed_per_node)[r, c]
        out.append(
            (block[r].astype(np.int32), demands[c].astype(np.int32), dist[r, c], net[r, c], seed)
        )
    return out


def _has_other_company(ctx: _Context, o_company: np.ndarray, demands: np.ndarray) -> np.ndarray:
    """Per offer: does any of `demands` belong to another company? Counting avoids pairing."""
    same = np.bincount(ctx.instance.demand_company[demands], minlength=ctx.n_companies)
    return same[o_company] < len(demands)


def _seed(net: np.ndarray, k: int) -> np.ndarray:
    """Mark each row's and each column's k best entries of a dense block (ineligible = -inf)."""
    mark = np.zeros(net.shape, dtype=bool)
    n_rows, n_cols = net.shape
    if n_cols <= k:
        mark[:] = True
    else:
        best = np.argpartition(net, n_cols - k, axis=1)[:, n_cols - k :]
        mark[np.arange(n_rows)[:, None], best] = True
    if n_rows <= k:
        mark[:] = True
    else:
        best = np.argpartition(net, n_rows - k, axis=0)[n_rows - k :, :]
        mark[best, np.arange(n_cols)[None, :]] = True
    return mark
