"""Small markets for the matching tests, written the way a reader checks them on paper."""

from typing import Any

from mfa.matching import RESULT_FORMAT, parse_instance
from mfa.matching import match as solve

FORMAT = "circularity.match-instance/1"

#: 0.1 degree of longitude on the equator: 6371 km x 0.1 x pi / 180.
KM_PER_TENTH_DEGREE = 11.119492664455873


def offer(oid: str, company: str, material: str, tonnes: float, lon: float = 0.0) -> dict:
    return {"id": oid, "company": company, "material": material, "tonnes": tonnes,
            "lat": 0.0, "lon": lon}  # fmt: skip


def demand(
    did: str,
    company: str,
    accepts: list[str],
    tonnes: float,
    lon: float = 0.0,
    max_km: float | None = None,
    permit: bool = False,
) -> dict:
    return {"id": did, "company": company, "accepts": accepts, "tonnes": tonnes, "lat": 0.0,
            "lon": lon, "max_distance_km": max_km, "hazardous_permit": permit}  # fmt: skip


def market(
    materials: dict[str, float | tuple[float, bool]],
    offers: list[dict],
    demands: list[dict],
    transport: float = 1.0,
) -> dict[str, Any]:
    """Materials as code -> benefit, or code -> (benefit, hazardous). Everything sits on the
    equator with a road circuity of 1, so distances are 11.1195 km per 0.1 degree of longitude."""
    mats = {}
    for code, spec in materials.items():
        benefit, hazardous = spec if isinstance(spec, tuple) else (spec, False)
        mats[code] = {"name": code, "hazardous": hazardous, "benefit_kgco2e_per_t": benefit}
    return {
        "format": FORMAT,
        "transport_kgco2e_per_tkm": transport,
        "road_circuity": 1.0,
        "materials": mats,
        "offers": offers,
        "demands": demands,
    }


def run(data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result = solve(parse_instance(data), **kwargs).to_json()
    assert result["format"] == RESULT_FORMAT
    return result


def flows(result: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(m["offer"], m["demand"]): m["tonnes"] for m in result["matches"]}


def reasons(result: dict[str, Any]) -> dict[str, tuple[str, float]]:
    return {u["offer"]: (u["reason"], u["tonnes"]) for u in result["unmatched"]}
