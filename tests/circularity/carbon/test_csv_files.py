"""Cells no factor or inventory file holds reject the file whole, on the page and the CLI.

A cell over Python's csv limit (131,072 characters) once raised ``csv.Error`` out of the
import: a 500 on the upload page and a traceback from ``circularity import-inventory``.
"""

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from circularity.cli import cli
from circularity.models import InventoryEntry
from circularity.services.carbon import balance
from circularity.services.carbon.csvfiles import MAX_CELL, RejectedFile, read_rows
from tests.helpers import person

HEADER = "area,year,month,tco2e,source\n"
COLUMNS = ("area", "year", "month", "tco2e")


def problems(data: str) -> list[tuple[int, str]]:
    with pytest.raises(RejectedFile) as caught:
        read_rows(data, COLUMNS, ("source",))
    return [(p.row, p.column) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (HEADER + "energy,2026,1,5," + "x" * 200_000 + "\n", [(2, "")]),
        ('"' + "x" * 200_000 + '"\n', [(1, "")]),
        (HEADER + "energy,2026,1,5,ok\nenergy,2026,2,5," + "x" * (MAX_CELL + 1) + "\n",
         [(3, "source")]),
        (HEADER + "energy,2026,1,5,Survey\x00\n", [(2, "source")]),
        (HEADER + "ener\x1b[2Jgy,2026,1,5,Survey\n", [(2, "area")]),
    ],
)  # fmt: skip
def test_a_cell_no_figure_or_citation_could_be_rejects_the_file(app, data, expected):
    with app.test_request_context():
        assert problems(data) == expected


def test_a_citation_of_the_longest_allowed_length_is_read(app):
    with app.test_request_context():
        rows = read_rows(HEADER + "energy,2026,1,5," + "y" * MAX_CELL + "\n", COLUMNS, ("source",))
    assert rows == [
        (
            2,
            {
                "area": "energy",
                "year": "2026",
                "month": "1",
                "tco2e": "5",
                "source": "y" * MAX_CELL,
            },
        )
    ]


def test_the_upload_service_writes_nothing(app, db_session):
    with app.test_request_context(), pytest.raises(RejectedFile):
        balance.import_inventory(
            db_session,
            person(db_session, "mia"),
            (HEADER + "energy,2026,1,5,a\n" + "energy,2026,2,5," + "z" * 200_000).encode(),
        )
    assert db_session.exec(select(func.count()).select_from(InventoryEntry)).one() == 0


def test_the_cli_exits_2_with_the_row_and_writes_nothing(db_session, database_url, tmp_path):
    person(db_session, "mia")
    path = tmp_path / "inventory.csv"
    path.write_text(HEADER + "energy,2026,1,5,a\nenergy,2026,2,5," + "z" * 200_000 + "\n")
    result = CliRunner().invoke(
        cli, ["import-inventory", str(path), "--user", "mia@park.test"],
        env={"DATABASE_URL": database_url},
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "row 3, -: A cell is longer than 1000 characters." in result.output
    assert db_session.exec(select(func.count()).select_from(InventoryEntry)).one() == 0


def test_a_file_number_with_a_comma_is_refused_not_guessed(db_session):
    mia = person(db_session, "mia")
    for cell in ("1,250", "1.250,5", "1_000", "0x10", "nan"):
        data = f'area,year,month,tco2e\nenergy,2026,3,"{cell}"\n'
        with pytest.raises(RejectedFile) as caught:
            balance.import_inventory(db_session, mia, data)
        assert [(p.row, p.column) for p in caught.value.problems] == [(2, "tco2e")], cell
    good = "area,year,month,tco2e\nenergy,2026,3,1250.5\nindustry,2026,3,1.5E+02\n"
    assert balance.import_inventory(db_session, mia, good) == 2
    assert balance.inventory(db_session)[("industry", 2026, 3)].tco2e == 150.0
