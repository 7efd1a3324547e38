"""Writes with an Idempotency-Key, as the IETF draft (httpapi-idempotency-key-header) says.

The key is the client's id for one write; the forms' rule (``services.idempotency``) applies
to it: a retry with the same key and the same body is answered with what the first request
got, stored; the same key with another body, another operation or from another person is
refused with 422; copies arriving together make one write, and each gets the first one's
answer. The key also goes to the service as the form token it takes (a custody event's client
event id, a listing's or matching run's client token), so the write itself happens once
whatever becomes of the answer.

The steps, each its own transaction:

1. claim: under the key's lock (``idempotency.hold``), the stored request, if any, is compared
   with this one (422 if it differs) and its answer returned; otherwise the key is claimed.
2. the service does the write (another request with the same key and body may get here too:
   the service answers it as a retry of the same write).
3. store: the first answer stored under the key is the one every copy returns.

A request refused with a problem writes nothing, so it releases its claim: the key may be
sent again, corrected.
"""

import json
from collections.abc import Callable

from flask import Response, current_app, request
from flask_babel import gettext as _
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from circularity.api import problems
from circularity.api.auth import caller
from circularity.db import get_session, write_transaction
from circularity.models import ApiRequest, User
from circularity.services import idempotency
from circularity.services.errors import ServiceError

HEADER = "Idempotency-Key"
#: Fields under which the services name a used form token: to an API client, the key.
TOKEN_FIELDS = frozenset({"client_event_id", "client_token"})
REPLAYED = "Idempotent-Replayed"


class KeyReused(Exception):  # noqa: N818 (the draft's case, answered with 422)
    """The key was used for another request."""


def run(
    operation: str,
    body: BaseModel | None,
    write: Callable[[str], tuple[int, BaseModel]],
    **path: object,
) -> Response:
    """Do ``write(key)`` once for this request's Idempotency-Key and answer it; ``operation``
    and ``path`` (the address's values) and ``body`` make up what a retry must repeat."""
    key = request.headers.get(HEADER, "")
    session, user = get_session(), caller()
    sent = body.model_dump(mode="json") if body is not None else {}
    digest = idempotency.digest(
        operation, {"path": json.dumps(path, sort_keys=True), "body": json.dumps(sent)}
    )
    try:
        stored = _claim(session, key, user, operation, digest)
        if stored is not None:
            return stored
        try:
            status, answer = _write(write, key)
        except ServiceError as error:
            _release(session, key)
            if error.field in TOKEN_FIELDS:
                raise KeyReused from error
            raise
        except BaseException:
            _release(session, key)
            raise
        return _store(session, key, user, operation, digest, status, answer)
    except KeyReused:
        found = problems.problem(
            422,
            _(
                "This Idempotency-Key was used for another request. Nothing new was "
                "recorded: send each new write with a new key."
            ),
            HEADER,
            type=problems.KEY_REUSED,
        )
        return problems.response(found)


def _write(write: Callable[[str], tuple[int, BaseModel]], key: str):
    """The service's write; one retry when a copy of the request inserted the same row at the
    same moment (the second insert fails on its unique key, and the retry finds the first)."""
    try:
        return write(key)
    except IntegrityError:
        current_app.logger.info("Idempotent write raced its copy; answering as a retry")
        return write(key)


def _load(session: Session, key: str) -> ApiRequest | None:
    return session.exec(select(ApiRequest).where(ApiRequest.key == key)).first()


def _same(stored: ApiRequest, user: User, operation: str, digest: str) -> None:
    if (stored.user_id, stored.operation, stored.request_digest) != (user.id, operation, digest):
        raise KeyReused


def _answer(stored: ApiRequest) -> Response:
    answer = Response(stored.body, status=stored.status, mimetype="application/json")
    answer.headers[REPLAYED] = "true"
    return answer


def _claim(session: Session, key: str, user: User, operation: str, digest: str) -> Response | None:
    """Step 1: the stored answer to this key, or None once the key is claimed (or was
    claimed by a copy of this request still being answered)."""
    with write_transaction(session):
        idempotency.hold(session, key)
        stored = _load(session, key)
        if stored is None:
            session.add(
                ApiRequest(key=key, user_id=user.id, operation=operation, request_digest=digest)
            )
            return None
        _same(stored, user, operation, digest)
        return _answer(stored) if stored.status is not None else None


def _release(session: Session, key: str) -> None:
    """A refused request stored nothing; its key may be sent again."""
    with write_transaction(session):
        idempotency.hold(session, key)
        stored = _load(session, key)
        if stored is not None and stored.status is None:
            session.delete(stored)


def _store(
    session: Session,
    key: str,
    user: User,
    operation: str,
    digest: str,
    status: int,
    answer: BaseModel,
) -> Response:
    """Step 3: keep this answer under the key, unless a copy of the request stored its own
    first; then that one is every copy's answer."""
    body = answer.model_dump_json()
    with write_transaction(session):
        idempotency.hold(session, key)
        stored = _load(session, key)
        if stored is None:  # a copy that failed released the claim meanwhile
            stored = ApiRequest(
                key=key, user_id=user.id, operation=operation, request_digest=digest
            )
        elif stored.status is not None:
            _same(stored, user, operation, digest)
            return _answer(stored)
        stored.status, stored.body = status, body
        session.add(stored)
    return Response(body, status=status, mimetype="application/json")
