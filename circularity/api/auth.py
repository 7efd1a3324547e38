"""Who calls the API: a bearer token, its scopes, and its person's role and company.

Every request but the document and its page carries ``Authorization: Bearer <token>``. The
token's person is the caller for everything after: the services apply the same company and
role rules to them as to the pages, and a view that a page guards with ``roles.requires``
declares the same capability here. The session cookie is never read: a page open in the same
browser lends the API nothing, so the API needs no CSRF token.

A GET needs the ``read`` scope and a POST the ``record`` scope, whatever the role allows.
"""

import hashlib
from functools import wraps

from flask import abort, current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from circularity.api import problems
from circularity.db import get_session
from circularity.models import ApiToken, User
from circularity.roles import CAPABILITIES, can
from circularity.services import api_tokens

#: Endpoints anyone may read: the description of the API and its page.
PUBLIC = frozenset({"api.openapi", "api.docs"})
REALM = 'Bearer realm="circularity"'


def _refuse(status: int, detail: str, challenge: str) -> None:
    found = problems.problem(status, detail, "Authorization")
    abort(problems.response(found, {"WWW-Authenticate": challenge}))


def authenticate() -> None:
    """The blueprint's first step: the token's person and token in ``g``, or 401 / 403."""
    if request.endpoint in PUBLIC or request.endpoint is None:
        return
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        _refuse(401, _("Send an API token: Authorization: Bearer <token>."), REALM)
    found = api_tokens.authenticate(get_session(), secret.strip())
    if found is None:
        _refuse(
            401,
            _("This token is unknown, revoked, or its account is disabled."),
            f'{REALM}, error="invalid_token"',
        )
    g.api_user, g.api_token = found
    needed = "read" if request.method in ("GET", "HEAD") else "record"
    if needed not in g.api_token.scope_set:
        _refuse(
            403,
            _("This token may only read. Make one that may record on your account page."),
            f'{REALM}, error="insufficient_scope", scope="{needed}"',
        )


def caller() -> User:
    """The person the request's token acts for."""
    return g.api_user


def token() -> ApiToken:
    return g.api_token


def requires(capability: str):
    """A view decorator: 403 unless the token's person has ``capability`` (roles.CAPABILITIES),
    as ``roles.requires`` guards the page that shows the same."""
    if capability not in CAPABILITIES:
        raise KeyError(capability)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(caller(), capability):
                found = problems.problem(403, _("Your role may not see or do this."))
                abort(problems.response(found))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def rate_limit() -> str:
    """``API_RATE_LIMIT``: requests allowed per token."""
    return current_app.config["API_RATE_LIMIT"]


def rate_key() -> str:
    """What the limit counts by: the token (a hash of the header, so no database is asked
    before the limit), or the client's address for a request without one."""
    header = request.headers.get("Authorization", "")
    if header:
        return "api-token:" + hashlib.sha256(header.encode("utf-8", "surrogatepass")).hexdigest()
    return "api-address:" + (get_remote_address() or "")
