"""docs/api.md, which partners write their clients from, names every operation of the OpenAPI
document, so an operation cannot be added without its documentation."""

import re
from pathlib import Path

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "api.md").read_text(encoding="utf-8")


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_operation_is_in_the_docs(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {
        (method.upper(), _shape(path.removeprefix("/api/v1")))
        for path, methods in document["paths"].items()
        for method in methods
    }
    documented = {
        (method, _shape(path)) for method, path in re.findall(r"`(GET|POST) (/[^`?\s]*)", DOCS)
    }
    assert operations - documented == set()
