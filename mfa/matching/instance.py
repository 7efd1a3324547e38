"""Read and check a `circularity.match-instance/1` market, once, at the edge.

Everything the engine computes afterwards works on flat numpy arrays, so the checks live here:
a bad record is refused with its file, id and field named, before any number is trusted.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mfa.errors import InstanceInputError

INSTANCE_FORMAT = "circularity.match-instance/1"
RESULT_FORMAT = "circularity.match-result/1"

#: Defaults when an instance leaves them out: DEFRA 2025 "HGV (all diesel), average laden"
#: is 0.10163 kg CO2e/t.km; the spec's example uses 0.107, and 1.3 is a common road/crow ratio.
DEFAULT_TRANSPORT_KGCO2E_PER_TKM = 0.107
DEFAULT_ROAD_CIRCUITY = 1.3

#: Bounds beyond which a figure is a typing or unit error, not a market. The largest offer is a
#: whole region's yearly waste (1e9 t, as the reconcile files' bound on a flow); no material saves
#: 100 t CO2e per tonne (DEFRA 2025's largest material factors are below 20 t/t); road freight is
#: about 0.1 kg CO2e/t.km and air freight about 1, so 100 is a unit slip; a road is not ten times
#: the crow's distance; no demand lies farther than half the Earth's circumference.
MAX_TONNES = 1e9
MAX_BENEFIT_KGCO2E_PER_T = 1e5
MAX_TRANSPORT_KGCO2E_PER_TKM = 100.0
MAX_ROAD_CIRCUITY = 10.0
MAX_DISTANCE_KM = 20_038.0


@dataclass(frozen=True)
class Instance:
    """One market as arrays: offers and demands by position, materials by index.

    Ids stay as Python lists because only the result needs them; every per-pair computation
    reads the arrays. `demand_accepts_*` is a CSR list (demand i accepts material indices
    ``accepts_index[accepts_ptr[i]:accepts_ptr[i + 1]]``). A missing maximum distance is ``inf``.
    """

    source: str
    transport_kgco2e_per_tkm: float
    road_circuity: float
    material_codes: list[str]
    material_names: list[str]
    material_hazardous: np.ndarray
    material_benefit: np.ndarray
    offer_ids: list[str]
    offer_company: np.ndarray
    offer_material: np.ndarray
    offer_tonnes: np.ndarray
    offer_lat: np.ndarray
    offer_lon: np.ndarray
    demand_ids: list[str]
    demand_company: np.ndarray
    demand_accepts_ptr: np.ndarray
    demand_accepts_index: np.ndarray
    demand_tonnes: np.ndarray
    demand_lat: np.ndarray
    demand_lon: np.ndarray
    demand_max_km: np.ndarray
    demand_permit: np.ndarray

    @property
    def n_offers(self) -> int:
        return len(self.offer_ids)

    @property
    def n_demands(self) -> int:
        return len(self.demand_ids)


def load_instance(path: str | os.PathLike[str]) -> Instance:
    """Read an instance file; every refusal names the file, so a CLI can print it as is."""
    source = os.fspath(path)

    def refuse(constant: str) -> None:
        raise InstanceInputError(source, "(file)", "-", f"{constant} is not a JSON number")

    try:
        with open(source, encoding="utf-8") as handle:
            data = json.load(handle, parse_constant=refuse)
    except OSError as exc:
        raise InstanceInputError(source, "(file)", "-", f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InstanceInputError(source, "(file)", "-", f"not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise InstanceInputError(source, "(file)", "-", problem) from None
    except ValueError as exc:
        # An integer of more than 4,300 digits: Python's limit for reading one.
        raise InstanceInputError(source, "(file)", "-", f"a number is too long ({exc})") from None
    except RecursionError:
        # An instance is four levels deep; thousands of nested brackets are not one.
        raise InstanceInputError(
            source, "(file)", "-", "nested too deeply for an instance"
        ) from None
    return parse_instance(data, source=source)


def parse_instance(data: Any, source: str = "instance") -> Instance:
    """Check a decoded instance and turn it into arrays.

    `source` only labels error messages (a file name, or "coordinator page" for the app).
    Raises `InstanceInputError` on the first bad record.
    """
    check = _Checker(source)
    if not isinstance(data, Mapping):
        check.fail("(instance)", "-", "must be a JSON object")
    fmt = data.get("format")
    if fmt != INSTANCE_FORMAT:
        check.fail("(instance)", "format", f"unknown format {fmt!r}, expected {INSTANCE_FORMAT!r}")
    transport = check.number(
        data,
        "transport_kgco2e_per_tkm",
        "(instance)",
        DEFAULT_TRANSPORT_KGCO2E_PER_TKM,
        low=0.0,
        high=MAX_TRANSPORT_KGCO2E_PER_TKM,
    )
    circuity = check.number(
        data, "road_circuity", "(instance)", DEFAULT_ROAD_CIRCUITY, low=1.0, high=MAX_ROAD_CIRCUITY
    )

    materials = data.get("materials")
    if not isinstance(materials, Mapping):
        check.fail("(instance)", "materials", "must be an object keyed by material code")
    codes = [str(code) for code in materials]
    index_of = {code: i for i, code in enumerate(codes)}
    names, hazardous, benefit = [], [], []
    for code in codes:
        record = materials[code]
        label = f"material {code!r}"
        if not isinstance(record, Mapping):
            check.fail(label, "-", "must be an object")
        names.append(str(record.get("name", code)))
        # The spec says the field is what counts; the List-of-Waste asterisk only fills a gap.
        hazardous.append(check.boolean(record, "hazardous", label, default=code.endswith("*")))
        benefit.append(
            check.number(
                record,
                "benefit_kgco2e_per_t",
                label,
                None,
                low=-MAX_BENEFIT_KGCO2E_PER_T,
                high=MAX_BENEFIT_KGCO2E_PER_T,
            )
        )

    companies: dict[str, int] = {}
    offers = check.records(data, "offers")
    offer_ids = check.ids(offers, "offers", "offer")
    n_o = len(offers)
    o_company = np.empty(n_o, dtype=np.int32)
    o_material = np.empty(n_o, dtype=np.int32)
    o_tonnes, o_lat, o_lon = np.empty(n_o), np.empty(n_o), np.empty(n_o)
    for i, rec in enumerate(offers):
        label = f"offer {offer_ids[i]!r}"
        o_company[i] = companies.setdefault(check.company(rec, label), len(companies))
        o_material[i] = check.material(rec.get("material"), index_of, label, "material")
        o_tonnes[i] = check.tonnes(rec, label)
        o_lat[i], o_lon[i] = check.position(rec, label)

    demands = check.records(data, "demands")
    demand_ids = check.ids(demands, "demands", "demand")
    n_d = len(demands)
    d_company = np.empty(n_d, dtype=np.int32)
    d_ptr = np.zeros(n_d + 1, dtype=np.int64)
    d_accepts: list[int] = []
    d_tonnes, d_lat, d_lon, d_max = np.empty(n_d), np.empty(n_d), np.empty(n_d), np.empty(n_d)
    d_permit = np.empty(n_d, dtype=bool)
    for i, rec in enumerate(demands):
        label = f"demand {demand_ids[i]!r}"
        d_company[i] = companies.setdefault(check.company(rec, label), len(companies))
        accepts = rec.get("accepts")
        if not isinstance(accepts, list):
            check.fail(label, "accepts", "must be a list of material codes")
        # Codes outside `materials` are kept out rather than refused: the spec's own example
        # accepts one, and no offer can carry it (offers' materials are checked), so it can
        # never pair. A set, so a code listed twice does not count its pairs twice.
        for code in accepts:
            if not isinstance(code, str):
                check.fail(label, "accepts", f"not a material code: {code!r}")
        d_accepts.extend(sorted({index_of[c] for c in accepts if c in index_of}))
        d_ptr[i + 1] = len(d_accepts)
        d_tonnes[i] = check.tonnes(rec, label)
        d_lat[i], d_lon[i] = check.position(rec, label)
        d_max[i] = check.number(
            rec, "max_distance_km", label, math.inf, low=0.0, high=MAX_DISTANCE_KM
        )
        d_permit[i] = check.boolean(rec, "hazardous_permit", label, default=False)

    return Instance(
        source=source,
        transport_kgco2e_per_tkm=transport,
        road_circuity=circuity,
        material_codes=codes,
        material_names=names,
        material_hazardous=np.array(hazardous, dtype=bool),
        material_benefit=np.array(benefit, dtype=float),
        offer_ids=offer_ids,
        offer_company=o_company,
        offer_material=o_material,
        offer_tonnes=o_tonnes,
        offer_lat=o_lat,
        offer_lon=o_lon,
        demand_ids=demand_ids,
        demand_company=d_company,
        demand_accepts_ptr=d_ptr,
        demand_accepts_index=np.array(d_accepts, dtype=np.int32),
        demand_tonnes=d_tonnes,
        demand_lat=d_lat,
        demand_lon=d_lon,
        demand_max_km=d_max,
        demand_permit=d_permit,
    )


class _Checker:
    """Field checks that all raise the same way, so every message has file, record and field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, record: str, field: str, problem: str) -> None:
        raise InstanceInputError(self.source, record, field, problem)

    def records(self, data: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
        records = data.get(key)
        if not isinstance(records, list):
            self.fail("(instance)", key, "must be a list of objects")
        for i, rec in enumerate(records):
            if not isinstance(rec, Mapping):
                self.fail(f"{key}[{i}]", "-", "must be an object")
        return records

    def ids(self, records: Sequence[Mapping[str, Any]], key: str, kind: str) -> list[str]:
        ids: list[str] = []
        seen: dict[str, int] = {}
        for i, rec in enumerate(records):
            rid = rec.get("id")
            if not isinstance(rid, str | int) or isinstance(rid, bool) or rid == "":
                self.fail(f"{key}[{i}]", "id", "missing or not a string")
            rid = str(rid)
            if rid in seen:
                problem = f"duplicate id, also {key}[{seen[rid]}]"
                self.fail(f"{kind} {rid!r} ({key}[{i}])", "id", problem)
            seen[rid] = i
            ids.append(rid)
        return ids

    def company(self, rec: Mapping[str, Any], label: str) -> str:
        company = rec.get("company")
        if not isinstance(company, str | int) or isinstance(company, bool) or company == "":
            self.fail(label, "company", "missing or not a string")
        return str(company)

    def material(self, code: Any, index_of: Mapping[str, int], label: str, field: str) -> int:
        if not isinstance(code, str) or code not in index_of:
            self.fail(label, field, f"unknown material {code!r}")
        return index_of[code]

    def number(
        self,
        rec: Mapping[str, Any],
        field: str,
        label: str,
        default: float | None,
        low: float | None = None,
        high: float | None = None,
    ) -> float:
        value = rec.get(field)
        if value is None:
            if default is None:
                self.fail(label, field, "missing")
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(label, field, f"not a number: {value!r}")
        if isinstance(value, int) and abs(value) > 1e300:
            self.fail(label, field, "not a finite number: an integer of that size is not a figure")
        value = float(value)
        if not math.isfinite(value):
            self.fail(label, field, f"not a finite number: {value!r}")
        if low is not None and value < low:
            self.fail(label, field, f"must be at least {low:g}, got {value:g}")
        if high is not None and value > high and value != math.inf:
            self.fail(label, field, f"must be at most {high:g}, got {value:g}")
        return value

    def tonnes(self, rec: Mapping[str, Any], label: str) -> float:
        value = self.number(rec, "tonnes", label, None)
        if value <= 0:
            self.fail(label, "tonnes", f"must be positive, got {value:g}")
        if value > MAX_TONNES:
            self.fail(label, "tonnes", f"must be at most {MAX_TONNES:g} t, got {value:g}")
        return value

    def position(self, rec: Mapping[str, Any], label: str) -> tuple[float, float]:
        lat = self.number(rec, "lat", label, None)
        lon = self.number(rec, "lon", label, None)
        if not -90.0 <= lat <= 90.0:
            self.fail(label, "lat", f"out of range [-90, 90]: {lat:g}")
        if not -180.0 <= lon <= 180.0:
            self.fail(label, "lon", f"out of range [-180, 180]: {lon:g}")
        return lat, lon

    def boolean(self, rec: Mapping[str, Any], field: str, label: str, default: bool | None) -> bool:
        value = rec.get(field)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            self.fail(label, field, f"must be true or false, got {value!r}")
        return value
