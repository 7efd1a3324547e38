"""The emission-factor library: cited factor sets, the material mapping and local imports.

Sets shipped with the project (DEFRA 2025, the US EPA Hub waste factors) are data files read
once, like the List of Waste; sets management imports are database rows. Both look the same to
the crediting code: a key, an edition, a citation and factors keyed by (material, kind, route)
in kg CO2e per tonne (per tonne.km for freight), each with the row of its source.

A set may name a base set: a kind of factor the set lacks altogether (the EPA waste factors
have no production or freight factors) comes from the base, and every credit records which set
each factor came from. Kinds are never mixed within one set, so a landfill factor from one
publisher is never set against a recycling factor from another.
"""

import csv
import json
import re
from dataclasses import dataclass, field
from functools import cache

from flask_babel import gettext
from sqlmodel import Session, select

from circularity.config import setting
from circularity.db import write_transaction
from circularity.models import Factor, FactorSet, User
from circularity.services.carbon.csvfiles import Problem, RejectedFile, number, read_rows
from circularity.services.catalogue import DATA, materials
from circularity.services.errors import InvalidInput, NotFound
from circularity.services.fields import required_text
from circularity.services.numbers import shown
from mfa import emissions as em

FACTORS = DATA / "factors"
#: The hand-reviewed mapping of the market (docs/matching.md) is the first source of the
#: List-of-Waste -> material table; ours adds codes it does not need (organics, municipal
#: fractions) and never repeats one of its codes.
MAPPING_FILES = ("low_to_defra_material.csv", "factors/low_to_material_extra.csv")
FREIGHT_MATERIAL, FREIGHT_ROUTE = "all", "road"
ROUTES_BY_KIND = {
    em.DISPOSAL: em.DISPOSAL_ROUTES,
    em.PRODUCTION: em.PRODUCTION_ROUTES,
    em.FREIGHT: (FREIGHT_ROUTE,),
}
EPA_ROUTES = {
    "recycled": em.CLOSED_LOOP,
    "landfilled": em.LANDFILL,
    # EPA's combustion factors include the fossil CO2 (and N2O) of the stack and leave out the
    # avoided grid electricity: they are burning with its own emissions.
    "combusted": em.INCINERATION,
    "composted": em.COMPOSTING,
    # Food waste is mostly digested wet; EPA gives only dry digestion for some garden wastes.
    "anaerobicallyDigestedWet": em.ANAEROBIC_DIGESTION,
    "anaerobicallyDigestedDry": em.ANAEROBIC_DIGESTION,
}
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


@dataclass(frozen=True)
class FactorValue:
    """One factor in its canonical unit, with where it came from."""

    value: float
    unit: str
    value_given: float
    unit_given: str
    set_key: str
    edition: str
    source: str  # the row of the publisher's table, e.g. a DEFRA row ID


@dataclass
class Library:
    """One factor set as the crediting code sees it."""

    key: str
    name: str
    edition: str
    source: str
    licence: str
    url: str = ""
    base: str | None = None
    shipped: bool = True
    factors: dict[tuple[str, str, str], FactorValue] = field(default_factory=dict)
    created_at: object = None

    def kinds(self) -> set[str]:
        return {kind for _, kind, _ in self.factors}


@dataclass(frozen=True)
class Mapping:
    """A List-of-Waste code's factor material, or None: the code is unmapped."""

    code: str
    material: str | None
    comment: str = ""
    file: str = ""


@dataclass(frozen=True)
class MaterialSettings:
    """What a material would otherwise have met, and how much virgin material it replaces."""

    material: str
    baseline: str
    substitution: float
    substitution_source: str  # empty: the configuration default, an assumption
    note: str
    baseline_source: str = ""  # why that baseline: the park's counterfactual, cited

    @property
    def substitution_assumed(self) -> bool:
        return not self.substitution_source


def _csv(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _defra(key: str, spec: dict) -> dict:
    factors = {}
    for kind, columns in (
        (em.DISPOSAL, em.DEFRA_DISPOSAL_COLUMNS),
        (em.PRODUCTION, em.DEFRA_PRODUCTION_COLUMNS),
    ):
        for row in _csv(DATA / spec["files"][kind]):
            value = (row["GHG Conversion Factor 2025"] or "").strip()
            if row["GHG/Unit"] != "kg CO2e" or row["UOM"] != "tonnes" or not value:
                continue
            factors[(row["Level 3"], kind, columns[row["Column Text"]])] = FactorValue(
                float(value),
                "kg CO2e/t",
                float(value),
                "kg CO2e/t",
                key,
                spec["edition"],
                row["ID"],
            )
    factors.update(_incineration(key, spec, factors))
    (row,) = _csv(DATA / spec["files"][em.FREIGHT])
    value = float(row["GHG Conversion Factor 2025"])
    factors[(FREIGHT_MATERIAL, em.FREIGHT, FREIGHT_ROUTE)] = FactorValue(
        value, "kg CO2e/t.km", value, "kg CO2e/t.km", key, spec["edition"], row["ID"]
    )
    return factors


def _incineration(key: str, spec: dict, factors: dict) -> dict:
    """Burning with its stack: DEFRA's "Incineration with Energy Recovery" row (collection and
    transport to the plant) plus the fossil CO2 of combustion from IPCC 2006 default carbon
    contents (mfa.emissions.fossil_co2_kg_per_t). Materials IPCC gives no default for have no
    incineration factor, and a credit that needs one shows that it has none."""
    out = {}
    for row in _csv(DATA / spec["files"]["fossil_carbon"]):
        transport = factors.get((row["material"], em.DISPOSAL, em.ENERGY_RECOVERY))
        if transport is None:
            continue
        stack = em.fossil_co2_kg_per_t(
            float(row["dry_matter"]),
            float(row["carbon_content"]),
            float(row["fossil_fraction"]),
            float(row["oxidation"]),
        )
        value = transport.value + stack
        source = (
            f"{transport.source} + IPCC 2006 vol. 5 ch. 2 Table 2.4 {row['ipcc_component']} "
            f"(dm {row['dry_matter']}, CF {row['carbon_content']}, FCF {row['fossil_fraction']}"
            f", OF {row['oxidation']}: {stack:.2f} kg fossil CO2/t)"
        )
        out[(row["material"], em.DISPOSAL, em.INCINERATION)] = FactorValue(
            value, "kg CO2e/t", value, "kg CO2e/t", key, spec["edition"], source
        )
    return out


def _epa(key: str, spec: dict) -> dict:
    with open(DATA / spec["files"]["disposal"], encoding="utf-8") as handle:
        table = json.load(handle)
    factors = {}
    for row in _csv(DATA / spec["files"]["materials"]):
        for column, value in table[row["epa_material"]].items():
            route = EPA_ROUTES[column]
            if (row["material"], em.DISPOSAL, route) in factors:
                continue  # wet digestion is listed first and wins over dry
            unit = "t CO2e/short ton"
            factors[(row["material"], em.DISPOSAL, route)] = FactorValue(
                em.to_canonical(value, unit, em.DISPOSAL),
                "kg CO2e/t",
                value,
                unit,
                key,
                spec["edition"],
                f"{row['epa_material']}.{column}",
            )
    return factors


@cache
def shipped_sets() -> dict[str, Library]:
    with open(FACTORS / "sets.json", encoding="utf-8") as handle:
        specs = json.load(handle)
    readers = {"defra-flat": _defra, "epa-hub-json": _epa}
    return {
        key: Library(
            key=key,
            name=spec["name"],
            edition=spec["edition"],
            source=spec["source"],
            licence=spec["licence"],
            url=spec["url"],
            base=spec.get("base"),
            factors=readers[spec["format"]](key, spec),
        )
        for key, spec in specs.items()
    }


def _imported(row: FactorSet, factors: list[Factor]) -> Library:
    return Library(
        key=row.key,
        name=row.name,
        edition=row.edition,
        source=row.source,
        licence=row.licence,
        base=row.base_key,
        shipped=False,
        created_at=row.created_at,
        factors={
            (f.material, f.kind, f.route): FactorValue(
                f.value,
                em.CANONICAL_UNIT[f.kind],
                f.value_given,
                f.unit_given,
                row.key,
                row.edition,
                f.source,
            )
            for f in factors
        },
    )


def get_set(session: Session, key: str) -> Library:
    """The shipped or imported set ``key``; raises NotFound."""
    if key in shipped_sets():
        return shipped_sets()[key]
    row = session.exec(select(FactorSet).where(FactorSet.key == key)).first()
    if row is None:
        raise NotFound("No factor set '%(key)s'.", "factor_set", key=key)
    return _imported(row, session.exec(select(Factor).where(Factor.set_id == row.id)).all())


def all_sets(session: Session) -> list[Library]:
    imported = session.exec(select(FactorSet).order_by(FactorSet.created_at)).all()
    return list(shipped_sets().values()) + [get_set(session, row.key) for row in imported]


def lookup(
    session: Session, library: Library, material: str, kind: str, route: str
) -> FactorValue | None:
    """The factor, from the set or, when the set has no factor of this kind, from its base."""
    seen = set()
    while library.key not in seen:
        seen.add(library.key)
        if kind in library.kinds() or not library.base:
            return library.factors.get((material, kind, route))
        library = get_set(session, library.base)
    return None


@cache
def mapping_table() -> dict[str, Mapping]:
    table: dict[str, Mapping] = {}
    for name in MAPPING_FILES:
        for row in _csv(DATA / name):
            code = row["low_code"]
            if code not in table:
                material = row.get("defra_material") or row.get("material")
                table[code] = Mapping(code, material, row["comment"], name)
    return table


def mapping(code: str) -> Mapping:
    """The reviewed factor material of a List-of-Waste code; material None when unmapped."""
    return mapping_table().get(code) or Mapping(code, None)


@cache
def _shipped_settings() -> dict[str, MaterialSettings]:
    return {
        row["material"]: MaterialSettings(
            row["material"],
            row["baseline_route"],
            float(row["substitution"]),
            row["substitution_source"],
            row["note"],
            row["baseline_source"],
        )
        for row in _csv(FACTORS / "materials.csv")
    }


def material_settings() -> dict[str, MaterialSettings]:
    """Each material's baseline and substitution: the shipped, cited table, with the park's
    own counterfactuals from CARBON_BASELINES ({material: {"route", "source"}}) over it.

    Raises InvalidInput for an override that names no baseline route or no source: an
    uncited baseline would be a guess shown as a fact.
    """
    table = dict(_shipped_settings())
    for material, override in (setting("CARBON_BASELINES") or {}).items():
        route_name = (override or {}).get("route", "")
        source = ((override or {}).get("source") or "").strip()
        if route_name not in em.BASELINE_ROUTES or not source:
            raise InvalidInput(
                "CARBON_BASELINES: %(material)s needs a route (%(routes)s) and a source.",
                "CARBON_BASELINES",
                material=material,
                routes=", ".join(em.BASELINE_ROUTES),
            )
        shipped = table.get(material)
        table[material] = MaterialSettings(
            material,
            route_name,
            shipped.substitution if shipped else 1.0,
            shipped.substitution_source if shipped else "",
            shipped.note if shipped else "",
            source[:300],
        )
    return table


def mapped_codes() -> list[tuple[str, Mapping]]:
    """Every mapped code with its List-of-Waste entry, for the mapping page."""
    entries = materials()
    return [(entries[code].display_code, m) for code, m in sorted(mapping_table().items())]


def _check_row(
    number_: int, row: dict[str, str], seen: dict, confirmed: bool = False
) -> tuple[list[Problem], Factor]:
    problems = []
    kind, route, material, unit = row["kind"], row["route"], row["material"], row["unit"]
    if kind not in em.KINDS:
        problems.append(
            Problem(number_, "kind", gettext("Use one of: %(kinds)s.", kinds=", ".join(em.KINDS)))
        )
    elif route not in ROUTES_BY_KIND[kind]:
        problems.append(
            Problem(
                number_,
                "route",
                gettext("Use one of: %(routes)s.", routes=", ".join(ROUTES_BY_KIND[kind])),
            )
        )
    if not material or len(material) > 200:
        problems.append(
            Problem(number_, "material", gettext("Name the material (200 characters at most)."))
        )
    elif kind == em.FREIGHT and material != FREIGHT_MATERIAL:
        problems.append(
            Problem(
                number_,
                "material",
                gettext(
                    "Freight factors apply to every material: write '%(all)s'.",
                    all=FREIGHT_MATERIAL,
                ),
            )
        )
    value = number(row["value"])
    if value is None:
        problems.append(Problem(number_, "value", gettext("Not a number.")))
    elif value < 0:
        # Cut-off factors are emissions of a process; a negative one is an avoided burden in
        # disguise and would be counted twice by the crediting rule.
        problems.append(
            Problem(
                number_,
                "value",
                gettext("A factor is never negative: avoided emissions are what the credit adds."),
            )
        )
    if kind in em.KINDS and unit not in em.UNITS[kind]:
        problems.append(
            Problem(
                number_, "unit", gettext("Use one of: %(units)s.", units=", ".join(em.UNITS[kind]))
            )
        )
    if not problems and value is not None:
        problems += _bound_problems(number_, em.to_canonical(value, unit, kind), kind, confirmed)
    if len(row.get("source", "")) > 300:
        problems.append(Problem(number_, "source", gettext("300 characters at most.")))
    identity = (material, kind, route)
    if not problems and identity in seen:
        problems.append(
            Problem(
                number_,
                "route",
                gettext("Row %(row)d already gives this factor.", row=seen[identity]),
            )
        )
    seen.setdefault(identity, number_)
    factor = None
    if not problems:
        factor = Factor(
            set_id=0,
            material=material,
            kind=kind,
            route=route,
            value=em.to_canonical(value, unit, kind),
            value_given=value,
            unit_given=unit,
            source=row.get("source", ""),
        )
    return problems, factor


def _bound_problems(number_: int, value: float, kind: str, confirmed: bool) -> list[Problem]:
    """A factor beyond any material's (mfa.emissions.FACTOR_BOUNDS): refused, or held until
    the person confirms the file."""
    held, refused = em.FACTOR_BOUNDS[kind]
    verdict = em.factor_beyond(value, kind)
    if verdict == "refused":
        return [
            Problem(
                number_,
                "value",
                gettext(
                    "%(value)s %(unit)s cannot be a factor (no material reaches %(bound)s).",
                    value=shown(value),
                    unit=em.CANONICAL_UNIT[kind],
                    bound=shown(refused),
                ),
            )
        ]
    if verdict == "held" and not confirmed:
        return [
            Problem(
                number_,
                "value",
                gettext(
                    "%(value)s %(unit)s is beyond any material's factor (above %(bound)s): "
                    "check the unit, then import again with the confirmation ticked.",
                    value=shown(value),
                    unit=em.CANONICAL_UNIT[kind],
                    bound=shown(held),
                ),
            )
        ]
    return []


def import_set(
    session: Session,
    user: User,
    *,
    key: str,
    name: str,
    edition: str,
    source: str,
    licence: str,
    data: bytes | str,
    base: str = "",
    confirmed: bool = False,
) -> Library:
    """Add a factor set from a CSV file (material, kind, route, value, unit[, source]).

    The file is checked whole before anything is written: any bad row rejects it with
    `RejectedFile` and its row-by-row report. A factor beyond any material's is a bad row
    unless ``confirmed`` (mfa.emissions.FACTOR_BOUNDS); an absurd one always is. A set is
    never changed after it is imported; a new edition is a new set, so credits booked with
    the old one stay as they were.
    """
    key = (key or "").strip().lower()
    if not KEY_PATTERN.match(key):
        raise InvalidInput("A key of 2-40 lower-case letters, digits or dashes.", "key")
    given = {"name": name, "edition": edition, "source": source, "licence": licence}
    limits = {"name": 200, "edition": 60, "source": 500, "licence": 200}
    clean = {
        column: required_text(value, column, limits[column]) for column, value in given.items()
    }
    base = (base or "").strip() or None
    rows = read_rows(data, ("material", "kind", "route", "value", "unit"), ("source",))
    problems, factors, seen = [], [], {}
    for row_number, row in rows:
        row.setdefault("source", "")
        found, factor = _check_row(row_number, row, seen, confirmed)
        problems += found
        factors.append(factor)
    if problems:
        raise RejectedFile(problems)
    with write_transaction(session):
        if (
            key in shipped_sets()
            or session.exec(select(FactorSet).where(FactorSet.key == key)).first()
        ):
            raise InvalidInput("A factor set with the key '%(key)s' exists.", "key", key=key)
        if base is not None:
            get_set(session, base)
        row = FactorSet(key=key, base_key=base, created_by=user.id, **clean)
        session.add(row)
        session.flush()
        for factor in factors:
            factor.set_id = row.id
        session.add_all(factors)
    return get_set(session, key)
