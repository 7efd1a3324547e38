"""docs/methods.md prints the route table the code uses; it must not drift from mfa.routes."""

from pathlib import Path

from mfa.routes import ROUTES

METHODS = Path(__file__).resolve().parents[2] / "docs" / "methods.md"


def test_every_route_is_documented_with_its_fate():
    text = METHODS.read_text(encoding="utf-8")
    for r in ROUTES.values():
        row = f"| {r.code} | {r.name} | {r.fate.value} |"
        assert row in text, f"docs/methods.md lacks the row for {r.code}"
