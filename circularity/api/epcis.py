"""GS1's EPCIS 2.0 REST bindings at /epcis: discovery and the event query (docs/epcis.md).

The same tokens as /api/v1 (``auth``: the ``read`` scope, rate-limited per token), and the
same rule as the export page: the whole event log is for those who may check the chain.
Refusals are RFC 7807 problems whose ``type`` is the bindings' exception, such as
``epcisException:QueryParameterException``.
"""

from flask import Blueprint, abort, jsonify, make_response, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from circularity.api import auth, problems
from circularity.db import get_session
from circularity.extensions import csrf, limiter
from circularity.services.custody import epcis_query
from circularity.services.custody.epcis import EPCIS_CONTEXT, NAMESPACES
from circularity.services.errors import InvalidInput

bp = Blueprint("epcis_rest", __name__, url_prefix="/epcis")
csrf.exempt(bp)
limiter.limit(auth.rate_limit, key_func=auth.rate_key)(bp)


def _authenticate() -> None:
    """The token of /api/v1. Discovery of the service and of /events is open, as it says only
    what the service speaks; discovery of one event would say whether it exists, so it is not."""
    if request.method != "OPTIONS" or request.endpoint == "epcis_rest.discover_event":
        auth.authenticate()


bp.before_request(_authenticate)

MEDIA_TYPE = "application/ld+json"
QUERY_PARAMETER = "epcisException:QueryParameterException"
NO_SUCH_RESOURCE = "epcisException:NoSuchResourceException"
#: What the discovery (OPTIONS) advertises: the standard's versions this service speaks.
DISCOVERY = {
    "GS1-EPCIS-Version": "2.0.0",
    "GS1-EPCIS-Min": "2.0.0",
    "GS1-EPCIS-Max": "2.0.0",
    "GS1-CBV-Version": "2.0.0",
    "GS1-CBV-Min": "2.0.0",
    "GS1-CBV-Max": "2.0.0",
    "GS1-Extensions": "circ=https://circularity.dev/epcis/",
}


def _versioned(response):
    """The bindings' 200 answers carry the versions and the extensions their documents use."""
    for name in ("GS1-EPCIS-Version", "GS1-CBV-Version", "GS1-Extensions"):
        response.headers[name] = DISCOVERY[name]
    return response


bp.after_request(_versioned)


def _discovery(methods: str):
    response = make_response("", 204)
    response.headers.update(DISCOVERY)
    response.headers["Allow"] = methods
    return response


def _document(events: list[dict]) -> dict:
    return {
        "@context": [EPCIS_CONTEXT, NAMESPACES],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "epcisBody": {"queryResults": {"resultsBody": {"eventList": events}}},
    }


def _json(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    return response


@bp.route("", methods=["OPTIONS"])
@bp.route("/", methods=["OPTIONS"])
def discover():
    """The bindings' discovery: which EPCIS and CBV versions and extensions are spoken."""
    return _discovery("OPTIONS, GET")


@bp.route("/events", methods=["OPTIONS"])
def discover_events():
    return _discovery("OPTIONS, GET")


@bp.get("/events")
@auth.requires("check_chain")
def events():
    """One page of the events that pass the standard query parameters, in chain order; the
    next page's address in ``Link: rel="next"``."""
    page = epcis_query.query(get_session(), request.args)
    response = _json(_document(page.events))
    if page.next_token is not None:
        args = request.args.to_dict()
        args["nextPageToken"] = page.next_token
        following = url_for("epcis_rest.events", _external=True, **args)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


def _no_such_event():
    problem = problems.problem(
        404, _("There is no event with this eventID."), "eventID", type=NO_SUCH_RESOURCE
    )
    abort(problems.response(problem))


@bp.route("/events/<path:event_id>", methods=["OPTIONS"])
@auth.requires("check_chain")
def discover_event(event_id: str):
    """Discovery of one event's resource; 404 when there is no such event, as the bindings'
    OPTIONS on /events/{eventID} answers."""
    if epcis_query.event(get_session(), event_id) is None:
        _no_such_event()
    return _discovery("OPTIONS, GET")


@bp.get("/events/<path:event_id>")
@auth.requires("check_chain")
def event(event_id: str):
    """One event by its eventID in an EPCISQueryDocument, as the bindings answer it; a
    corrected event carries its errorDeclaration inside the event itself."""
    found = epcis_query.event(get_session(), event_id)
    if found is None:
        _no_such_event()
    return _json(_document([found]))


@bp.errorhandler(InvalidInput)
def _query_parameter(error: InvalidInput):
    problem = problems.problem(400, error.message, error.field, type=QUERY_PARAMETER)
    return problems.response(problem)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return problems.from_http(error)
