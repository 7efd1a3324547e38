"""Generate a realistic, reproducible matching market: a park or a region around Taicang.

    python bench/match_instance.py park -o park.json        # 2,000 offers x 2,000 demands
    python bench/match_instance.py region -o region.json    # 20,000 x 20,000

The same seed always gives the same file. Companies sit in industrial clusters; each offers
by-products coded in the EU List of Waste and asks for materials of one family (metals, plastics,
paper, glass, construction, oils and solvents). Benefits are DEFRA 2025 "Material use" factors,
primary production minus closed-loop source, computed with `mfa.benefits` from the rows below.
The parameters are tuned so eligible pairs number about 155,000 (park) and 9.8 million (region),
the sizes the engine's benchmark was specified against.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import numpy as np

from mfa.benefits import benefits_by_material

#: DEFRA 2025 flat file, "Material use", kg CO2e per tonne: (primary production, closed-loop
#: source), copied from the rows of the same names (OGL v3).
DEFRA_2025 = {
    "Metal: scrap metal": (3473.11953, 1706.42359),
    "Metal: aluminium cans and foil (excl. forming)": (9115.90131, 995.0779),
    "Metal: mixed cans": (5114.62131, 1525.52488),
    "Construction: Metals": (3824.09335, 1638.74406),
    "Plastics: average plastics": (3172.49932, 1575.39106),
    "Plastics: average plastic film": (2916.50513, 1103.56537),
    "Plastics: HDPE (incl. forming)": (3095.15524, 1770.79099),
    "Plastics: PET (incl. forming)": (3863.90131, 2213.90131),
    "Plastics: PP (incl. forming)": (2577.57172, 1312.57172),
    "Paper and board: board": (1199.72542, 1098.11442),
    "Paper and board: mixed": (1288.50358, 1068.77475),
    "Paper and board: paper": (1345.0779, 1050.0779),
    "Glass": (1402.76667, 823.18954),
    "Concrete": (118.79306, 3.21835),
    "Aggregates": (7.79306, 3.21835),
    "Asphalt": (39.21249, 28.67835),
    "Insulation": (1861.79306, 1852.12293),
    "Plasterboard": (120.05, 32.17),
    "Mineral oil": (1401.0, 676.0),
}

#: List-of-Waste code -> (name, DEFRA material, family, relative frequency among offers).
#: A trailing * marks the hazardous entries. The DEFRA material is the nearest one it lists: a
#: benchmark's stand-in, looser than the app's reviewed mapping (which, for instance, credits
#: concrete as aggregates and leaves aluminium unmapped); only the spread of values matters here.
MATERIALS = {
    "120101": ("ferrous metal filings and turnings", "Metal: scrap metal", "metal", 8),
    "120103": ("non-ferrous metal filings and turnings", "Metal: scrap metal", "metal", 4),
    "170405": ("iron and steel", "Construction: Metals", "metal", 6),
    "170402": ("aluminium", "Metal: aluminium cans and foil (excl. forming)", "metal", 3),
    "150104": ("metallic packaging", "Metal: mixed cans", "metal", 3),
    "170409*": ("metal waste contaminated with hazardous substances", "Metal: scrap metal",
                "metal", 1),
    "070213": ("waste plastic", "Plastics: average plastics", "plastic", 6),
    "150102": ("plastic packaging", "Plastics: average plastic film", "plastic", 6),
    "120105": ("plastics shavings and turnings", "Plastics: HDPE (incl. forming)", "plastic", 3),
    "191204": ("plastic and rubber", "Plastics: PP (incl. forming)", "plastic", 2),
    "200139": ("plastics", "Plastics: PET (incl. forming)", "plastic", 2),
    "150110*": ("packaging containing residues of hazardous substances",
                "Plastics: average plastics", "plastic", 1),
    "150101": ("paper and cardboard packaging", "Paper and board: board", "paper", 8),
    "191201": ("paper and cardboard", "Paper and board: mixed", "paper", 4),
    "200101": ("paper and cardboard (municipal)", "Paper and board: paper", "paper", 2),
    "150107": ("glass packaging", "Glass", "glass", 3),
    "101112": ("waste glass other than 10 11 11", "Glass", "glass", 2),
    "170101": ("concrete", "Concrete", "construction", 4),
    "170504": ("soil and stones", "Aggregates", "construction", 3),
    "170302": ("bituminous mixtures", "Asphalt", "construction", 2),
    "170604": ("insulation materials", "Insulation", "construction", 1),
    "170802": ("gypsum-based construction materials", "Plasterboard", "construction", 2),
    "130205*": ("mineral engine, gear and lubricating oils", "Mineral oil", "oil", 3),
    "130208*": ("other engine, gear and lubricating oils", "Mineral oil", "oil", 2),
    "130110*": ("mineral hydraulic oils", "Mineral oil", "oil", 1),
}  # fmt: skip


@dataclass(frozen=True)
class Scale:
    """Where companies are and how far receivers will let material travel."""

    offers: int
    demands: int
    companies: int
    clusters: int
    lat: tuple[float, float]
    lon: tuple[float, float]
    cluster_km: float
    max_km: tuple[float | None, ...]
    accepts: tuple[int, int]


SCALES = {
    # Taicang's port and high-tech parks: a box of about 33 x 28 km.
    "park": Scale(2000, 2000, 400, 8, (31.4, 31.7), (121.0, 121.3), 2.5,
                  (5, 8, 10, 15, 20, None), (1, 3)),
    # Southern Jiangsu and Shanghai around Taicang: about 170 x 200 km.
    "region": Scale(20_000, 20_000, 4000, 40, (30.7, 32.2), (119.9, 122.0), 6.0,
                    (10, 20, 30, 45, 70, None), (1, 3)),
}  # fmt: skip

KM_PER_DEGREE = 111.195

#: Share of receivers that accept materials of two families (co-processing, mixed recycling).
CROSS_FAMILY = 0.1


def generate(scale: str, seed: int = 20251124) -> dict:
    """The whole instance as a dict ready for `json.dump`."""
    s = SCALES[scale]
    rng = np.random.default_rng(seed)
    benefit = benefits_by_material(
        {"Level 1": "Material use", "Level 3": name, "UOM": "tonnes", "Column Text": column,
         "GHG Conversion Factor 2025": str(value)}
        for name, pair in DEFRA_2025.items()
        for column, value in zip(("Primary material production", "Closed-loop source"), pair,
                                 strict=True)
    )  # fmt: skip
    codes = list(MATERIALS)
    families = sorted({m[2] for m in MATERIALS.values()})
    materials = {
        code: {
            "name": name,
            "hazardous": code.endswith("*"),
            "benefit_kgco2e_per_t": round(benefit[defra], 5),
        }
        for code, (name, defra, _, _) in MATERIALS.items()
    }

    # Companies: most in industrial clusters, a fifth scattered; each has a main family.
    centres = np.column_stack([rng.uniform(*s.lat, s.clusters), rng.uniform(*s.lon, s.clusters)])
    in_cluster = rng.random(s.companies) < 0.8
    which = rng.integers(0, s.clusters, s.companies)
    spread = s.cluster_km / KM_PER_DEGREE
    lat = np.where(
        in_cluster,
        centres[which, 0] + rng.normal(0, spread, s.companies),
        rng.uniform(*s.lat, s.companies),
    )
    lon = np.where(
        in_cluster,
        centres[which, 1] + rng.normal(0, spread / np.cos(np.radians(31.5)), s.companies),
        rng.uniform(*s.lon, s.companies),
    )
    lat, lon = np.clip(lat, *s.lat), np.clip(lon, *s.lon)

    weight = np.array([m[3] for m in MATERIALS.values()], dtype=float)
    offer_company = rng.integers(0, s.companies, s.offers)
    offer_material = rng.choice(len(codes), s.offers, p=weight / weight.sum())
    offers = [
        {"id": f"o{i:05d}", "company": f"c{c:04d}", "material": codes[m],
         "tonnes": _tonnes(rng), "lat": round(float(lat[c]), 5), "lon": round(float(lon[c]), 5)}
        for i, (c, m) in enumerate(zip(offer_company.tolist(), offer_material.tolist(),
                                       strict=True))
    ]  # fmt: skip

    by_family = {f: [i for i, c in enumerate(codes) if MATERIALS[c][2] == f] for f in families}
    family_weight = np.array([weight[by_family[f]].sum() for f in families])
    demand_company = rng.integers(0, s.companies, s.demands)
    demands = []
    family_p = family_weight / family_weight.sum()
    for j, c in enumerate(demand_company.tolist()):
        family = families[rng.choice(len(families), p=family_p)]
        pool = by_family[family]
        k = int(rng.integers(s.accepts[0], s.accepts[1] + 1))
        if rng.random() < CROSS_FAMILY:
            # Cement kilns and mixed recyclers take from two families; they are what ties the
            # families into one market instead of six separate ones.
            other = families[rng.choice(len(families), p=family_p)]
            pool = sorted(set(pool) | set(by_family[other]))
            k += 1
        picks = rng.choice(
            pool, min(k, len(pool)), replace=False, p=weight[pool] / weight[pool].sum()
        )
        max_km = s.max_km[int(rng.integers(0, len(s.max_km)))]
        demands.append(
            {"id": f"d{j:05d}", "company": f"c{c:04d}",
             "accepts": sorted(codes[i] for i in picks), "tonnes": _tonnes(rng),
             "lat": round(float(lat[c]), 5), "lon": round(float(lon[c]), 5),
             "max_distance_km": max_km,
             # Most receivers of oils are licensed re-refiners; some are not yet.
             "hazardous_permit": bool(family == "oil" and rng.random() < 0.8
                                      or rng.random() < 0.1)}
        )  # fmt: skip
    return {
        "format": "circularity.match-instance/1",
        "transport_kgco2e_per_tkm": 0.107,
        "road_circuity": 1.3,
        "materials": materials,
        "offers": offers,
        "demands": demands,
    }


def _tonnes(rng: np.random.Generator) -> float:
    """Lognormal lot sizes, median 20 t, to the 100 kg as weighbridges report them."""
    return max(0.1, round(float(rng.lognormal(np.log(20.0), 1.0)), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=sorted(SCALES))
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--seed", type=int, default=20251124)
    args = parser.parse_args()
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(generate(args.scale, args.seed), handle)


if __name__ == "__main__":
    main()
