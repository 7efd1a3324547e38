"""One form, one effect: the id every writing form carries, and what a second request means.

A phone on a bad connection may send the same form twice. Each form carries a random id
(custody events keep it as ``client_event_id``, market listings and matching runs as
``client_token``); a request whose id is stored already repeats the earlier one, and is
answered with what that one did, so nothing is recorded twice. The same id from another
person, or for another operation, is a client bug and never a retry; the same id with other
values is a form used twice (the phone's Back button shows the last form with its id) and is
refused with 422, as the IETF Idempotency-Key draft has it, so that the second batch typed
into it is not answered with the first one.
"""

import hashlib
import json
import re
from collections.abc import Mapping

from sqlalchemy import text
from sqlmodel import Session

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


def digest(operation: str, values: Mapping[str, object]) -> str:
    """A fingerprint of a request: the operation and its values as sent (stripped text;
    lists, such as a split's parts, in order). Stored with what the request did."""
    canonical = json.dumps(
        {"operation": operation, "values": {k: _plain(v) for k, v in values.items()}},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value).strip()


def require_same_values(field: str, stored: str | None, sent: str) -> None:
    """Accept a retry only with the values first sent under its id; raises InvalidInput
    naming ``field`` otherwise. An earlier record with no fingerprint stored (made before
    fingerprints were kept) is taken as the same."""
    if stored and stored != sent:
        raise InvalidInput(
            "This form was sent already, with other values. Nothing new was recorded: "
            "check what you typed and send it again.",
            field,
        )


def require_same_record(field: str, row: object, values: Mapping[str, object]) -> None:
    """Accept a retry only if the record its id made holds the values this request would
    store (a listing keeps no fingerprint: its columns are the values); raises InvalidInput
    naming ``field`` otherwise, as ``require_same_values`` does."""
    if any(getattr(row, name) != value for name, value in values.items()):
        require_same_values(field, "stored", "sent")


_HOLD = text("SELECT pg_advisory_xact_lock(hashtextextended(:id, 0))")


def hold(session: Session, client_id: str) -> None:
    """Wait, inside the write transaction, until no other transaction holds ``client_id``.

    Two copies of one request arriving together (a phone retrying while the first is still
    being answered) must not both find no earlier record and both try to write: on
    PostgreSQL a transaction-scoped advisory lock on the id serialises them, and the second
    then finds what the first did. SQLite's write transactions are serial already.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_HOLD, {"id": client_id})
