"""Who may do what: the roles, one table of capabilities, and the checks that read it.

Views state what they need with ``@requires(capability)``, services and commands ask
``can(user, capability)``, and templates ask the same table with ``{% if me is able("carbon") %}``.
The README's Roles table says the same in words (tests/circularity/test_roles.py compares them).
"""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

# staff act for their company; coordinators match supply and demand; management watches the
# park; admins manage companies and users.
ROLES = ("staff", "coordinator", "management", "admin")
PARK = frozenset({"coordinator", "management", "admin"})

CAPABILITIES: dict[str, frozenset[str]] = {
    # register batches and ship, receive, split, merge, correct and close the company's ones
    "handle_batches": frozenset({"staff"}),
    # list the company's offers and demands on the market
    "list_on_market": frozenset({"staff"}),
    "see_all_batches": PARK,
    # the market overview, matching runs and every exchange
    "see_market": PARK,
    "run_matching": frozenset({"coordinator"}),
    "dashboard": PARK,
    "analysis": PARK,
    # the district carbon balance: factor sets, credits, inventory
    "carbon": frozenset({"management", "admin"}),
    "check_chain": frozenset({"management", "admin"}),
    # companies and accounts
    "admin": frozenset({"admin"}),
}


def can(user, capability: str) -> bool:
    """Whether ``user`` (a User, the anonymous user or None) has ``capability``."""
    return getattr(user, "role", None) in CAPABILITIES[capability]


def requires(capability: str):
    """A view decorator: log in first, then 403 unless the person has ``capability``."""
    if capability not in CAPABILITIES:
        raise KeyError(capability)

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
