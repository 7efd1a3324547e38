"""The capability table says what the README's Roles table says, role by role."""

import re
from pathlib import Path

from flask_login import AnonymousUserMixin

from circularity.roles import CAPABILITIES, ROLES, can

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")

#: Words of the Roles table that grant each capability.
PHRASES = {
    "handle_batches": "registers batches",
    "list_on_market": "lists the company's offers and demands",
    "see_all_batches": "sees every batch",
    "see_market": "the market",
    "run_matching": "runs matching",
    "dashboard": "the dashboard",
    "analysis": "analysis pages",
    "carbon": "(`/carbon/`)",
    "check_chain": "(`/admin/chain`)",
    "admin": "manages companies and accounts",
}


def readme_roles() -> dict[str, str]:
    table = README.split("## Roles", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", table, re.MULTILINE))
    if "sees what management sees" in rows["admin"]:
        rows["admin"] += "; " + rows["management"]
    return rows


def test_every_capability_is_in_the_readme_for_exactly_its_roles():
    rows = readme_roles()
    assert tuple(rows) == ROLES
    assert set(PHRASES) == set(CAPABILITIES)
    for capability, phrase in PHRASES.items():
        described = {role for role, text in rows.items() if phrase in text}
        assert described == CAPABILITIES[capability], capability


def test_no_one_logged_out_has_a_capability():
    for nobody in (None, AnonymousUserMixin()):
        assert not any(can(nobody, capability) for capability in CAPABILITIES)


def test_the_table_names_only_roles():
    assert set().union(*CAPABILITIES.values()) <= set(ROLES)
