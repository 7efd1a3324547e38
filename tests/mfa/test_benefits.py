"""Avoided burden per tonne from DEFRA 2025 material-use rows, checked against METHODS.md."""

import csv
import io

import pytest

from mfa.benefits import benefit_kgco2e_per_t, benefits_by_material, material_factors
from mfa.errors import InputError

# Rows copied verbatim from DEFRA's 2025 flat file, "Material use" (OGL v3).
ROWS = """\
ID,Scope,Level 1,Level 2,Level 3,Level 4,Column Text,UOM,GHG/Unit,GHG Conversion Factor 2025
19_504_5112_15_1,Scope 3,Material use,Metal,Metal: scrap metal,,Primary material production,tonnes,kg CO2e,3473.11953
19_504_5113_15_1,Scope 3,Material use,Metal,Metal: scrap metal,,Re-used,tonnes,kg CO2e,
19_504_5114_15_1,Scope 3,Material use,Metal,Metal: scrap metal,,Open-loop source,tonnes,kg CO2e,
19_504_5115_15_1,Scope 3,Material use,Metal,Metal: scrap metal,,Closed-loop source,tonnes,kg CO2e,1706.42359
19_500_5036_15_1,Scope 3,Material use,Construction,Mineral oil,,Primary material production,tonnes,kg CO2e,1401
19_500_5039_15_1,Scope 3,Material use,Construction,Mineral oil,,Closed-loop source,tonnes,kg CO2e,676
19_500_5008_15_1,Scope 3,Material use,Construction,Asbestos,,Primary material production,tonnes,kg CO2e,27
19_500_5011_15_1,Scope 3,Material use,Construction,Asbestos,,Closed-loop source,tonnes,kg CO2e,
"""  # noqa: E501


def rows():
    return list(csv.DictReader(io.StringIO(ROWS)))


def test_scrap_metal_matches_the_methods_example():
    # METHODS.md: 3473.11953 - 1706.42359 = 1766.7 kg CO2e/t.
    assert benefit_kgco2e_per_t(rows(), "Metal: scrap metal") == pytest.approx(1766.69594)


def test_mineral_oil():
    # 1401 - 676 = 725 kg CO2e/t.
    assert benefit_kgco2e_per_t(rows(), "Mineral oil") == pytest.approx(725.0)


def test_blank_closed_loop_is_refused_not_zero():
    with pytest.raises(InputError, match="Closed-loop source"):
        benefit_kgco2e_per_t(rows(), "Asbestos")


def test_all_materials_with_both_factors():
    assert benefits_by_material(rows()) == pytest.approx(
        {"Metal: scrap metal": 1766.69594, "Mineral oil": 725.0}
    )


def test_blank_cells_are_left_out():
    assert material_factors(rows())["Asbestos"] == {"Primary material production": 27.0}
