"""The blueprint every API view is a route of, and what runs before each of them: the rate
limit (Flask-Limiter, per token), the token (``auth``), and the body's media type."""

from flask import Blueprint, abort, current_app, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from circularity.api import auth, problems
from circularity.api.base import PREFIX
from circularity.extensions import csrf, limiter
from circularity.services.errors import ServiceError

bp = Blueprint("api", __name__, url_prefix=PREFIX)

# The API is authenticated by its bearer token alone, never by the session cookie, so a
# page of another site cannot make a browser write through it: no CSRF token is needed.
csrf.exempt(bp)
limiter.limit(auth.rate_limit, key_func=auth.rate_key)(bp)


def _json_body() -> None:
    """A write's body, when it has one, is JSON: 415 for another media type, 400 for JSON
    that does not parse."""
    if request.method in ("GET", "HEAD") or request.endpoint in auth.PUBLIC:
        return
    if not request.content_length and not request.mimetype:
        return
    if not request.is_json:
        abort(415)
    if request.get_json(silent=True) is None:
        found = problems.problem(400, _("The body is not valid JSON."), "body")
        abort(problems.response(found))


bp.before_request(auth.authenticate)
bp.before_request(_json_body)


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    return problems.from_service(error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return problems.from_http(error)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    # Logged through circularity.logs.Redact, as the pages' errors are.
    current_app.logger.exception("Unhandled error in the API")
    session = g.get("db")
    if session is not None:
        session.rollback()
    return problems.unexpected()
