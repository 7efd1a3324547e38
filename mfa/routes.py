"""The one table that says what each recovery (R) and disposal (D) operation counts as.

Every closing treatment carries a route from Annexes I and II of the Waste Framework Directive
2008/98/EC. Indicators must agree on what each route means, so this table is the only place that
decides it; docs/methods.md prints it. The fates follow Eurostat's waste treatment categories
(env_wastrt): recycling R2-R11 (the U of the circular material use rate), energy recovery R1,
incineration D10 (and D11), deposit onto or into land D1, D5, D12, land treatment and release
into water D2, D3, D4, D6, D7. Eurostat does not count preliminary operations as treatment, and
neither do we: R12, R13 and D13-D15 only exchange, store, blend or repackage waste before a final
operation, and D8, D9 treat it into residues that are disposed of later. A batch closed by one of
those is not yet finally treated: its mass continues in the batches the facility produces, whose
own closings are counted when they happen. Counting both would count the same tonne twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mfa.errors import UnknownRouteError


class Fate(StrEnum):
    """What a closing treatment does with the mass, as the indicators need to know it."""

    RECYCLING = "recycling"
    ENERGY_RECOVERY = "energy_recovery"
    INCINERATION = "incineration"
    LANDFILL = "landfill"
    RELEASE = "release"
    PRELIMINARY = "preliminary"


#: Boundary node each fate sends the closed mass to in the flow graph. Closing a batch ends it
#: in custody, whatever the route: by-products used by a company leave the waste system as part
#: of its product, and what a recycler makes of them re-enters as new batches (mfa.model).
FATE_SINK: dict[Fate, str] = {
    Fate.RECYCLING: "recycling",
    Fate.ENERGY_RECOVERY: "energy_recovery",
    Fate.INCINERATION: "incineration",
    Fate.LANDFILL: "landfill",
    Fate.RELEASE: "release",
    Fate.PRELIMINARY: "pretreatment",
}


@dataclass(frozen=True)
class Route:
    """One R or D operation and what it counts as."""

    code: str
    name: str
    fate: Fate

    @property
    def final(self) -> bool:
        """True when the operation finally treats the waste (not storage, blending, exchange)."""
        return self.fate is not Fate.PRELIMINARY

    @property
    def circular(self) -> bool:
        """True for material recovery: recycling, composting, reuse of recovered material.

        WBCSD CTI counts reuse, remanufacturing, recycling, composting and anaerobic digestion
        as circular and energy recovery and landfill as linear; among R/D codes that is R2-R11.
        """
        return self.fate is Fate.RECYCLING

    @property
    def sink(self) -> str:
        """The boundary node the closed mass goes to in the flow graph."""
        return FATE_SINK[self.fate]


_R, _E, _I, _L, _W, _P = (
    Fate.RECYCLING,
    Fate.ENERGY_RECOVERY,
    Fate.INCINERATION,
    Fate.LANDFILL,
    Fate.RELEASE,
    Fate.PRELIMINARY,
)

#: Waste Framework Directive 2008/98/EC, Annex I (disposal) and Annex II (recovery), abridged.
ROUTES: dict[str, Route] = {
    r.code: r
    for r in (
        Route("R1", "Use principally as a fuel or other means to generate energy", _E),
        Route("R2", "Solvent reclamation/regeneration", _R),
        Route("R3", "Recycling/reclamation of organic substances (incl. composting)", _R),
        Route("R4", "Recycling/reclamation of metals and metal compounds", _R),
        Route("R5", "Recycling/reclamation of other inorganic materials", _R),
        Route("R6", "Regeneration of acids or bases", _R),
        Route("R7", "Recovery of components used for pollution abatement", _R),
        Route("R8", "Recovery of components from catalysts", _R),
        Route("R9", "Oil re-refining or other reuses of oil", _R),
        Route("R10", "Land treatment resulting in benefit to agriculture or ecology", _R),
        Route("R11", "Use of waste obtained from any of the operations R1 to R10", _R),
        Route("R12", "Exchange of waste for submission to any of R1 to R11", _P),
        Route("R13", "Storage of waste pending any of R1 to R12", _P),
        Route("D1", "Deposit into or onto land (e.g. landfill)", _L),
        Route("D2", "Land treatment (e.g. biodegradation of liquid discards in soils)", _W),
        Route("D3", "Deep injection", _W),
        Route("D4", "Surface impoundment", _W),
        Route("D5", "Specially engineered landfill", _L),
        Route("D6", "Release into a water body except seas/oceans", _W),
        Route("D7", "Release to seas/oceans including sea-bed insertion", _W),
        Route("D8", "Biological treatment resulting in compounds disposed by D1 to D12", _P),
        Route("D9", "Physico-chemical treatment resulting in compounds disposed by D1 to D12", _P),
        Route("D10", "Incineration on land", _I),
        Route("D11", "Incineration at sea", _I),
        Route("D12", "Permanent storage (e.g. containers in a mine)", _L),
        Route("D13", "Blending or mixing prior to any of D1 to D12", _P),
        Route("D14", "Repackaging prior to any of D1 to D13", _P),
        Route("D15", "Storage pending any of D1 to D14", _P),
    )
}


def route(code: str, record: str = "closing") -> Route:
    """Look a route up by its code ("R4", "d1" and "D 1" are accepted)."""
    key = code.replace(" ", "").upper() if isinstance(code, str) else ""
    try:
        return ROUTES[key]
    except KeyError:
        raise UnknownRouteError(record, "route", f"{code!r} is not one of R1-R13, D1-D15") from None
