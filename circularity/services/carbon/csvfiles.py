"""Uploaded CSV files, accepted whole or rejected whole with a report row by row.

Management imports factor sets and inventory figures from spreadsheets. A file with one bad row
would leave the balance half-imported and nobody would know which half, so every row is checked
first and any problem rejects the file: the report names the row (as a spreadsheet numbers it,
the header being row 1), the column and the problem.
"""

import csv
import io
import re
from dataclasses import dataclass

from flask_babel import gettext

from circularity.services.errors import InvalidInput
from circularity.services.fields import has_control_characters

MAX_ROWS = 5000
#: No cell of a factor or inventory file (a code, a figure, a citation) is longer than this; a
#: longer one is a pasted document or a shifted quote, and Python's csv stops at 131,072 anyway.
MAX_CELL = 1000


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    problem: str


class RejectedFile(InvalidInput):
    """The file has bad rows; ``problems`` lists them and nothing was written."""

    def __init__(self, problems: list[Problem], field: str = "file"):
        # The message is translated here rather than by ServiceError so that the catalogue
        # extraction (by gettext) finds it.
        self.message = gettext(
            "The file has %(n)d problems; nothing was imported.", n=len(problems)
        )
        Exception.__init__(self, self.message)
        self.field = field
        self.problems = problems


class BadValue(InvalidInput):
    """One form value is wrong; the message is the (translated) problem a file row would get."""

    def __init__(self, problem: str, field: str):
        self.message = problem
        Exception.__init__(self, problem)
        self.field = field


def _check_cells(number: int, row: dict[str, str | None]) -> None:
    """Refuse the file for a cell no figure or citation could be: too long, control characters."""
    for column, value in row.items():
        if value and len(value) > MAX_CELL:
            problem = gettext("A cell is longer than %(n)d characters.", n=MAX_CELL)
            raise RejectedFile([Problem(number, column, problem)])
        if value and has_control_characters(value):
            problem = gettext("Remove the control characters from this text.")
            raise RejectedFile([Problem(number, column, problem)])


def read_rows(
    data: bytes | str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str]]]:
    """The data rows as (row number, dict) pairs; raises RejectedFile for a bad layout."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RejectedFile([Problem(1, "", gettext("The file is not UTF-8 text."))]) from None
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    try:
        return _rows(reader, required, optional)
    except csv.Error:
        # A cell over the csv module's own limit, or a quote never closed.
        problem = gettext("A cell is longer than %(n)d characters.", n=MAX_CELL)
        raise RejectedFile([Problem(reader.line_num + 1, "", problem)]) from None


def _rows(
    reader: csv.DictReader, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if not header or missing:
        raise RejectedFile(
            [Problem(1, name, gettext("This column is missing.")) for name in missing or required]
        )
    unknown = [name for name in header if name not in required + optional]
    if unknown:
        raise RejectedFile([Problem(1, name, gettext("Unknown column.")) for name in unknown])
    reader.fieldnames = header
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise RejectedFile([Problem(number, "", gettext("More cells than columns."))])
        if not any((value or "").strip() for value in row.values()):
            continue
        _check_cells(number, row)
        rows.append((number, {k: (v or "").strip() for k, v in row.items()}))
        if len(rows) > MAX_ROWS:
            raise RejectedFile(
                [Problem(number, "", gettext("At most %(n)d rows per file.", n=MAX_ROWS))]
            )
    if not rows:
        raise RejectedFile([Problem(2, "", gettext("The file has no data rows."))])
    return rows


#: A number in a file: a decimal point, no grouping, an exponent allowed (spreadsheets write
#: small factors as 1.5E-05). A comma is refused, never guessed: "1,250" is 1250 to an
#: English reader and 1.25 to a German one.
FILE_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?")


def number(text: str) -> float | None:
    """A finite float from a cell written as FILE_NUMBER, or None."""
    if not FILE_NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if abs(value) != float("inf") else None
