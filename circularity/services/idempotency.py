"""One form, one effect: the id every writing form carries, and what a second request means.

A phone on a bad connection may send the same form twice. Each form carries a random id
(custody events keep it as ``client_event_id``, market listings and matching runs as
``client_token``); a request whose id is stored already repeats the earlier one, and is
answered with what that one did, so nothing is recorded twice. The same id from another
person, or for another operation, is a client bug and never a retry.
"""

import re

from circularity.models import User
from circularity.services.errors import Conflict, InvalidInput

PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def check(client_id: str, field: str) -> str:
    """``client_id`` as sent; raises InvalidInput naming ``field`` unless it is 8-64 letters,
    digits or -_.: (a form's uuid4 hex, or a client's own scheme)."""
    if not client_id or not PATTERN.match(client_id):
        raise InvalidInput(
            "A form token of 8-64 letters, digits or -_.: is required; reload the page.", field
        )
    return client_id


def require_same(
    field: str, user: User, done_by: int, operation: str = "", done_as: str = ""
) -> None:
    """Accept a request whose id is stored already as a retry of the earlier one.

    ``done_by`` and ``done_as`` are the person and the operation the id was stored with (a
    caller whose ids are kept per operation, as the market's per table, leaves both
    operations out). Raises Conflict naming ``field`` unless they are this person and this
    operation.
    """
    if done_by != user.id or done_as != operation:
        raise Conflict("This form was already used for another action; reload the page.", field)
