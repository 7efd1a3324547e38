"""The migrations build exactly the tables the models describe, and a wheel carries the
pages: a plain ``pip install .`` serves them."""

import subprocess
import sys
import zipfile
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import circularity.models  # noqa: F401
from circularity.db import get_engine


def test_migrations_match_the_models(app):
    with get_engine(app).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_wheel_carries_templates_static_and_data(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            ".",
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("circularity-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in [
        "circularity/templates/base.html",
        "circularity/templates/scan/scan.html",
        "circularity/static/vendor/htmx-2.0.11.min.js",
        "circularity/static/vendor/zxing_reader-3.1.3.wasm",
        "circularity/static/js/scan.js",
        "circularity/data/list_of_waste.csv",
        "circularity/data/factors/sets.json",
        "circularity/translations/en/LC_MESSAGES/messages.mo",
        "circularity/migrations/versions/0001_companies_users_batches_event_chain.py",
        "mfa/__init__.py",
    ]:
        assert expected in names, expected
    root = Path(__file__).resolve().parents[2]
    for package in ("circularity", "mfa"):
        for source in (root / package).rglob("*.py"):
            assert source.relative_to(root).as_posix() in names, source
