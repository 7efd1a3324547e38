"""Static files on a slow network: compressed when the browser asks, under addresses that
carry the SHA-256 of their content and are cached for a year, the plain address still
answering with a short cache; pages compressed too, and never stored."""

import gzip
import hashlib
import re
from pathlib import Path

import brotli
from flask import url_for

from circularity.web import static_files
from tests.helpers import register

HTMX = "vendor/htmx-2.0.11.min.js"
WASM = "vendor/zxing_reader-3.1.3.wasm"


def static_bytes(app, name: str) -> bytes:
    return (Path(app.static_folder) / name).read_bytes()


def static_url(app, name: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=name)


def test_a_static_address_carries_the_hash_of_the_files_bytes(app):
    digest = hashlib.sha256(static_bytes(app, HTMX)).hexdigest()[:12]
    assert static_url(app, HTMX) == f"/static/vendor/htmx-2.0.11.min.{digest}.js"
    digest = hashlib.sha256(static_bytes(app, "css/app.css")).hexdigest()[:12]
    assert static_url(app, "css/app.css") == f"/static/css/app.{digest}.css"


def test_the_hashed_name_changes_when_the_content_does(tmp_path):
    source = tmp_path / "static"
    (source / "js").mkdir(parents=True)
    (source / "js" / "a.js").write_bytes(b"one")
    first = static_files.build(source, tmp_path / "instance")
    # sha256(b"one") = 7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed
    assert first.hashed == {"js/a.js": "js/a.7692c3ad3540.js"}
    assert (first.folder / "js/a.7692c3ad3540.js").read_bytes() == b"one"

    (source / "js" / "a.js").write_bytes(b"two")
    second = static_files.build(source, tmp_path / "instance")
    # sha256(b"two") = 3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3
    assert second.hashed == {"js/a.js": "js/a.3fc4ccfe7458.js"}
    assert second.folder != first.folder
    assert (first.folder / "js/a.7692c3ad3540.js").read_bytes() == b"one"  # old pages' copy

    again = static_files.build(source, tmp_path / "instance")
    assert again == second  # found, not built again


def test_a_static_file_comes_gzip_compressed_when_asked(app, client):
    url = static_url(app, HTMX)
    with client.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["Content-Type"].startswith("text/javascript")
        body = response.get_data()
    assert len(body) < len(static_bytes(app, HTMX)) / 2
    assert gzip.decompress(body) == static_bytes(app, HTMX)


def test_a_static_file_comes_brotli_compressed_when_asked(app, client):
    url = static_url(app, WASM)
    with client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"}) as response:
        assert response.headers["Content-Encoding"] == "br"
        assert response.headers["Content-Type"] == "application/wasm"
        assert brotli.decompress(response.get_data()) == static_bytes(app, WASM)


def test_a_static_file_comes_plain_when_compression_is_not_asked_for(app, client):
    url = static_url(app, HTMX)
    for accepted in ({}, {"Accept-Encoding": "identity"}):
        with client.get(url, headers=accepted) as response:
            assert "Content-Encoding" not in response.headers
            assert response.headers["Vary"] == "Accept-Encoding"
            assert response.get_data() == static_bytes(app, HTMX)


def test_hashed_addresses_are_cached_for_a_year_plain_ones_for_a_minute(app, client):
    with client.get(static_url(app, HTMX)) as response:
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get(f"/static/{HTMX}") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "max-age=60, public"
        assert response.get_data() == static_bytes(app, HTMX)


def test_static_files_carry_the_security_headers_of_pages(app, client):
    page = client.get("/login").headers
    with client.get(static_url(app, "css/app.css")) as response:
        for name in (
            "Content-Security-Policy",
            "X-Content-Type-Options",
            "X-Frame-Options",
            "Referrer-Policy",
            "Permissions-Policy",
            "Strict-Transport-Security",
        ):
            assert response.headers[name] == page[name], name
        assert "Access-Control-Allow-Origin" not in response.headers


def test_a_page_comes_compressed_and_is_never_stored(app, as_person, db_session):
    code = register(db_session)
    alice = as_person("alice")
    plain = alice.get(f"/b/{code}")
    assert "Content-Encoding" not in plain.headers
    response = alice.get(f"/b/{code}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
    html = gzip.decompress(response.get_data()).decode()
    assert code in html and len(response.get_data()) < len(html) / 2
    # The page names its files by their hashed addresses.
    assert static_url(app, HTMX) in html
    assert re.search(r'href="/static/css/app\.\w{12}\.css"', html)
