"""The List of Waste and the recovery and disposal operations, shipped with the project.

Both are classifications fixed in law, so they are read from data files once and kept in
memory rather than copied into every database.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from circularity.services.errors import InvalidInput

DATA = Path(__file__).resolve().parent.parent / "data"
LIST_OF_WASTE_SOURCE = (
    "European List of Waste (2000/532/EC as amended by 2014/955/EU), Defra's English wording, "
    "Open Government Licence v3.0"
)


@dataclass(frozen=True)
class Material:
    code: str  # six digits, no spaces, no asterisk
    description: str
    chapter: str
    sub_chapter: str
    hazardous: bool
    entry_type: str

    @property
    def display_code(self) -> str:
        """The code as the List of Waste prints it: '17 04 05', '13 02 05*'."""
        spaced = f"{self.code[0:2]} {self.code[2:4]} {self.code[4:6]}"
        return spaced + ("*" if self.hazardous else "")


@cache
def materials() -> dict[str, Material]:
    with open(DATA / "list_of_waste.csv", newline="", encoding="utf-8") as f:
        return {
            row["code"]: Material(
                code=row["code"],
                description=row["description"],
                chapter=row["chapter"],
                sub_chapter=row["sub_chapter"],
                hazardous=row["is_hazardous"] == "true",
                entry_type=row["entry_type"],
            )
            for row in csv.DictReader(f)
        }


def get_material(code: str, field: str = "material") -> Material:
    """The entry for ``code``; accepts '170405', '17 04 05' or '17 04 05*'."""
    key = (code or "").replace(" ", "").rstrip("*")
    material = materials().get(key)
    if material is None:
        raise InvalidInput("'%(code)s' is not a code of the List of Waste.", field, code=code)
    return material


# Waste Framework Directive 2008/98/EC, Annex I (recovery) and Annex II (disposal), shortened.
OPERATIONS: dict[str, str] = {
    "R1": "Use principally as a fuel or other means to generate energy",
    "R2": "Solvent reclamation/regeneration",
    "R3": "Recycling/reclamation of organic substances not used as solvents "
    "(including composting and other biological transformation)",
    "R4": "Recycling/reclamation of metals and metal compounds",
    "R5": "Recycling/reclamation of other inorganic materials",
    "R6": "Regeneration of acids or bases",
    "R7": "Recovery of components used for pollution abatement",
    "R8": "Recovery of components from catalysts",
    "R9": "Oil re-refining or other reuses of oil",
    "R10": "Land treatment resulting in benefit to agriculture or ecological improvement",
    "R11": "Use of waste obtained from any of the operations R1 to R10",
    "R12": "Exchange of waste for submission to any of the operations R1 to R11",
    "R13": "Storage of waste pending any of the operations R1 to R12",
    "D1": "Deposit into or onto land (e.g. landfill)",
    "D2": "Land treatment (e.g. biodegradation of liquid or sludgy discards in soils)",
    "D3": "Deep injection",
    "D4": "Surface impoundment",
    "D5": "Specially engineered landfill",
    "D6": "Release into a water body except seas/oceans",
    "D7": "Release to seas/oceans including sea-bed insertion",
    "D8": "Biological treatment resulting in final compounds discarded by D1-D12",
    "D9": "Physico-chemical treatment resulting in final compounds discarded by D1-D12",
    "D10": "Incineration on land",
    "D11": "Incineration at sea",
    "D12": "Permanent storage",
    "D13": "Blending or mixing prior to submission to any of the operations D1-D12",
    "D14": "Repackaging prior to submission to any of the operations D1-D13",
    "D15": "Storage pending any of the operations D1-D14",
}
OPERATIONS_SOURCE = "Waste Framework Directive 2008/98/EC, Annexes I and II"


def get_operation(code: str, field: str = "operation") -> str:
    key = (code or "").strip().upper()
    if key not in OPERATIONS:
        raise InvalidInput(
            "'%(code)s' is not a recovery (R1-R13) or disposal (D1-D15) operation.",
            field,
            code=code,
        )
    return key
