"""Static files: compressed, and cached for a year under names that change with their content.

Phones on a slow network should fetch the scanner's decoder (a megabyte of WebAssembly) once
per release, compressed, and never ask for it again. So at start the app builds a copy of
``static/`` in its instance folder, ``static-<digest>/``, where the digest covers every file's
content: a release builds its copy once, and every later start (and every worker) finds it.
Beside each file the copy holds the same bytes under a name carrying the file's own hash
(``css/app.css`` and ``css/app.<hash>.css``), and gzip and brotli versions of both made by
WhiteNoise's compressor. WhiteNoise serves that folder before Flask sees the request: the
encoding the browser accepts (``Vary: Accept-Encoding``), conditional and range requests.

``url_for('static', filename=...)`` gives the hashed name, so every address a page emits
changes with the file's content and is cached for a year as immutable. The plain name still
works, cached for a minute, for anything that remembers it across a release. Flask and its
Talisman never see these responses, so the web edge hands in the security headers they carry.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

#: Hex digits of a file's SHA-256 in its hashed name: 48 bits tell a file's versions apart.
HASH_LENGTH = 12
#: A year, the longest lifetime HTTP caches are asked to honour (RFC 9111, "Expires").
IMMUTABLE = "public, max-age=31536000, immutable"
#: Seconds a plain (unhashed) address may be reused without asking: its content may change.
PLAIN_MAX_AGE = 60


def content_hash(data: bytes) -> str:
    """The first ``HASH_LENGTH`` hex digits of the SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def hashed_name(name: str, digest: str) -> str:
    """``vendor/htmx-2.0.11.min.js`` -> ``vendor/htmx-2.0.11.min.<digest>.js``."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


@dataclass(frozen=True)
class StaticCopy:
    """The built copy of a static folder: where it is, and each file's hashed name."""

    folder: Path
    hashed: dict[str, str]


def build(source: Path, parent: Path) -> StaticCopy:
    """The copy of ``source`` in ``parent``, built there unless a copy of this content is.

    It is built in a temporary folder and renamed into place, so a server whose workers
    start together never serves a half-written file: the first rename wins, and the others
    throw their copy away."""
    digests = {
        path.relative_to(source).as_posix(): content_hash(path.read_bytes())
        for path in sorted(source.rglob("*"))
        if path.is_file()
    }
    hashed = {name: hashed_name(name, digest) for name, digest in digests.items()}
    whole = content_hash("".join(f"{n}\0{d}\n" for n, d in digests.items()).encode())
    folder = parent / f"static-{whole}"
    if not folder.is_dir():
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".static-", dir=parent))
        try:
            _write(source, hashed, staging)
            staging.rename(folder)
        except OSError:
            if not folder.is_dir():  # not another worker's copy arriving first
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return StaticCopy(folder, hashed)


def _write(source: Path, hashed: dict[str, str], target: Path) -> None:
    compressor = Compressor(quiet=True)
    for name, hashed_as in hashed.items():
        plain = target / name
        plain.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, plain)
        # The compressed versions are made once and copied to the hashed name with the file.
        for path in (plain, *map(Path, compressor.compress(str(plain)))):
            shutil.copy2(path, target / (hashed_as + path.name[len(plain.name) :]))


def init_app(app: Flask, headers: dict[str, str]) -> None:
    """Serve ``app``'s static files from their built copy, each response carrying
    ``headers``, and make ``url_for('static', ...)`` give hashed names."""
    copy = build(Path(app.static_folder), Path(app.instance_path))
    prefix = app.static_url_path.rstrip("/") + "/"
    immutable = {prefix + name for name in copy.hashed.values()}

    def add_headers(response_headers, _path: str, url: str) -> None:
        for name, value in headers.items():
            response_headers[name] = value
        if url in immutable:
            response_headers["Cache-Control"] = IMMUTABLE

    def hashed_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in copy.hashed:
            values["filename"] = copy.hashed[values["filename"]]

    app.url_defaults(hashed_url)
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=copy.folder,
        prefix=prefix,
        max_age=PLAIN_MAX_AGE,
        allow_all_origins=False,  # the files are this site's own; no other site needs them
        add_headers_function=add_headers,
    )
