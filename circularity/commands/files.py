"""What the file commands share: read the input, write the output whole, fail in one line.

A file command (`reconcile`, `sankey`) needs neither Flask nor the database. Bad input exits
with status 2 and one line on standard error naming the file, the record and the field; the
output is written to a temporary file beside the target and renamed into place, so a failure
never leaves half a result where the result should be.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import NoReturn

import click

#: A message is cut to this many characters: a file's ids can be as long as the file.
MESSAGE_LIMIT = 400


def fail(path: str, message: str) -> NoReturn:
    """Print ``error: PATH: MESSAGE`` as one line (control characters escaped) and exit 2."""
    text = f"error: {path}: {message}"
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1] + "…"
    click.echo(text, err=True)
    sys.exit(2)


def read_input(path: str) -> bytes:
    """The bytes of ``path``, or of standard input for ``-``."""
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        fail(path, f"cannot read: {exc.strerror or exc}")


def write_output(path: str | None, data: bytes) -> None:
    """Write ``data`` to standard output (``None`` or ``-``) or whole to ``path``."""
    if path is None or path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".circularity-", suffix=".tmp")
    except OSError as exc:
        fail(path, f"cannot write: {exc.strerror or exc}")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        fail(path, f"cannot write: {exc.strerror or exc}")
