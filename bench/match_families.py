"""Families of matching markets, varied on purpose, each generated from a fixed seed.

    python -m bench.match_families                          # list the families
    python -m bench.match_families spread region -o m.json  # one family at one scale

`bench.match_instance` builds one kind of market (material families, clustered companies, a
tenth of receivers bridging two families). An engine tuned on it can be slow on markets built
otherwise, so these families each move one thing far from it: how many materials there are
(5 to 60), how many a demand accepts, how many demands have no distance limit, whether
companies sit in clusters or are spread out, how much is hazardous, and whether offers are much
larger or much smaller than demands. `issue` is the market on which the engine was first found
slow: 28 materials, demands accepting one to three at random, a quarter without a limit.

Materials are numbered stand-ins (`M01`, `M02`, ...) that take their name and their benefit,
cycling, from the List-of-Waste materials of `bench.match_instance` and its DEFRA 2025 "Material
use" rows (primary production minus closed-loop source); only the spread of values matters to
a benchmark, so a stand-in's hazardous flag is drawn rather than read from its code.
"""

from __future__ import annotations

import argparse
import json
import zlib
from dataclasses import dataclass

import numpy as np

from bench.match_instance import DEFRA_2025, KM_PER_DEGREE, MATERIALS
from mfa.benefits import benefits_by_material


@dataclass(frozen=True)
class Family:
    """How one family's markets are drawn; the scale decides only counts and the map."""

    materials: int = 28
    #: A demand accepts between these many materials (inclusive), drawn among all of them.
    accepts: tuple[int, int] = (1, 3)
    #: Share of demands without a maximum distance.
    unlimited: float = 0.25
    #: Companies in industrial clusters (most of them), or spread evenly over the map.
    clustered: bool = True
    #: Share of materials that are hazardous, and of demands holding a permit.
    hazardous: float = 0.12
    permits: float = 0.3
    #: Median lot of offers and of demands, tonnes (lognormal, sigma 1).
    offer_median_t: float = 20.0
    demand_median_t: float = 20.0


#: Each family moves one or two things far from `issue`, the market first found slow.
FAMILIES = {
    "issue": Family(),
    "few-materials": Family(materials=5, accepts=(1, 1), unlimited=0.1),
    "many-materials": Family(materials=60, accepts=(1, 6)),
    "broad-accepts": Family(materials=20, accepts=(4, 10), unlimited=0.05),
    "no-limits": Family(unlimited=0.5),
    "all-limited": Family(unlimited=0.0),
    "spread": Family(clustered=False),
    "hazardous": Family(hazardous=0.5, permits=0.25),
    "big-offers": Family(offer_median_t=200.0, demand_median_t=10.0),
    "small-offers": Family(offer_median_t=5.0, demand_median_t=100.0),
}


@dataclass(frozen=True)
class Scale:
    offers: int
    demands: int
    companies: int
    clusters: int
    lat: tuple[float, float]
    lon: tuple[float, float]
    cluster_km: float
    #: A limited demand's maximum distance is one of these, km.
    max_km: tuple[float, ...]


SCALES = {
    # Taicang's parks, about 33 x 28 km, and southern Jiangsu with Shanghai, about 170 x 200 km,
    # as in `bench.match_instance`; `small` is a park's corner for the tests' exact checks.
    "small": Scale(120, 120, 40, 3, (31.4, 31.5), (121.0, 121.1), 1.5, (2, 4, 8)),
    "park": Scale(2000, 2000, 400, 8, (31.4, 31.7), (121.0, 121.3), 2.5, (5, 8, 10, 15, 20)),
    "region": Scale(20_000, 20_000, 4000, 40, (30.7, 32.2), (119.9, 122.0), 6.0,
                    (10, 20, 30, 45, 70)),
}  # fmt: skip


def family_seed(name: str, scale: str) -> int:
    """A fixed seed per family and scale, so every run draws the same market."""
    return zlib.crc32(f"{name}/{scale}".encode())


def generate(name: str, scale: str, seed: int | None = None) -> dict:
    """The instance of family `name` at `scale`, as a dict ready for `json.dump`."""
    return draw(FAMILIES[name], SCALES[scale], family_seed(name, scale) if seed is None else seed)


def draw(f: Family, s: Scale, seed: int) -> dict:
    """A `circularity.match-instance/1` market drawn from family `f` at scale `s`."""
    rng = np.random.default_rng(seed)
    base = _base_materials()
    codes = [f"M{k + 1:02d}" for k in range(f.materials)]
    pick = [base[k % len(base)] for k in range(f.materials)]
    hazardous = rng.random(f.materials) < f.hazardous
    materials = {
        code: {"name": name, "hazardous": bool(h), "benefit_kgco2e_per_t": benefit}
        for code, (name, benefit), h in zip(codes, pick, hazardous.tolist(), strict=True)
    }
    # Some materials are common, others rare (weights 1 / rank^0.7, ranks shuffled).
    weight = 1.0 / np.arange(1, f.materials + 1) ** 0.7
    weight = rng.permutation(weight / weight.sum())

    lat, lon = _companies(rng, s, f.clustered)
    o_company = rng.integers(0, s.companies, s.offers)
    o_material = rng.choice(f.materials, s.offers, p=weight)
    o_tonnes = _tonnes(rng, f.offer_median_t, s.offers)
    offers = [
        {"id": f"o{i:05d}", "company": f"c{c:04d}", "material": codes[m], "tonnes": t,
         "lat": lat[c], "lon": lon[c]}
        for i, (c, m, t) in enumerate(zip(o_company.tolist(), o_material.tolist(),
                                          o_tonnes, strict=True))
    ]  # fmt: skip

    d_company = rng.integers(0, s.companies, s.demands)
    d_tonnes = _tonnes(rng, f.demand_median_t, s.demands)
    n_accepts = rng.integers(f.accepts[0], f.accepts[1] + 1, s.demands)
    unlimited = rng.random(s.demands) < f.unlimited
    limit = rng.choice(np.array(s.max_km, dtype=float), s.demands)
    permit = rng.random(s.demands) < f.permits
    demands = []
    for j, c in enumerate(d_company.tolist()):
        k = min(int(n_accepts[j]), f.materials)
        accepts = rng.choice(f.materials, k, replace=False, p=weight)
        demands.append(
            {"id": f"d{j:05d}", "company": f"c{c:04d}",
             "accepts": sorted(codes[m] for m in accepts.tolist()), "tonnes": d_tonnes[j],
             "lat": lat[c], "lon": lon[c],
             "max_distance_km": None if unlimited[j] else float(limit[j]),
             "hazardous_permit": bool(permit[j])}
        )  # fmt: skip
    return {
        "format": "circularity.match-instance/1",
        "transport_kgco2e_per_tkm": 0.107,
        "road_circuity": 1.3,
        "materials": materials,
        "offers": offers,
        "demands": demands,
    }


def _base_materials() -> list[tuple[str, float]]:
    """(name, DEFRA 2025 benefit) of each List-of-Waste material of `bench.match_instance`."""
    benefit = benefits_by_material(
        {"Level 1": "Material use", "Level 3": name, "UOM": "tonnes", "Column Text": column,
         "GHG Conversion Factor 2025": str(value)}
        for name, pair in DEFRA_2025.items()
        for column, value in zip(("Primary material production", "Closed-loop source"), pair,
                                 strict=True)
    )  # fmt: skip
    return [(name, round(benefit[defra], 5)) for name, defra, _, _ in MATERIALS.values()]


def _companies(rng: np.random.Generator, s: Scale, clustered: bool) -> tuple[list, list]:
    """Company sites, rounded to 1e-5 degree (about a metre) as a listing would give them."""
    lat = rng.uniform(*s.lat, s.companies)
    lon = rng.uniform(*s.lon, s.companies)
    if clustered:
        centres = np.column_stack(
            [rng.uniform(*s.lat, s.clusters), rng.uniform(*s.lon, s.clusters)]
        )
        inside = rng.random(s.companies) < 0.8
        which = rng.integers(0, s.clusters, s.companies)
        spread = s.cluster_km / KM_PER_DEGREE
        c_lat = centres[which, 0] + rng.normal(0, spread, s.companies)
        c_lon = centres[which, 1] + rng.normal(0, spread / np.cos(np.radians(31.5)), s.companies)
        lat = np.clip(np.where(inside, c_lat, lat), *s.lat)
        lon = np.clip(np.where(inside, c_lon, lon), *s.lon)
    return np.round(lat, 5).tolist(), np.round(lon, 5).tolist()


def _tonnes(rng: np.random.Generator, median: float, n: int) -> list[float]:
    """Lognormal lot sizes to the 100 kg, as weighbridges report them."""
    return np.maximum(0.1, np.round(rng.lognormal(np.log(median), 1.0, n), 1)).tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", nargs="?", choices=sorted(FAMILIES))
    parser.add_argument("scale", nargs="?", choices=sorted(SCALES), default="park")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    if args.family is None or args.output is None:
        for name, family in FAMILIES.items():
            print(f"{name:<15}{family}")
        return
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(generate(args.family, args.scale), handle)


if __name__ == "__main__":
    main()
