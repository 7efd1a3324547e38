"""The API's blueprint and its OpenAPI description, and how each view declares itself.

``reads`` and ``writes`` wrap spectree's ``validate``: the query or body model, the answer's
model and the problems the operation can answer with. spectree validates the request before
the view runs and writes the OpenAPI 3.1 document from the same declarations, so the document
and the checks cannot drift apart; ``document`` adds what spectree leaves out (the problems'
media type, the scopes).
"""

import copy
from functools import cache

from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData

from circularity.api import problems
from circularity.api.schemas.common import WriteHeaders

VERSION = "1"
PREFIX = f"/api/v{VERSION}"

#: What any authenticated operation can answer besides its own outcome.
COMMON = (401, 403, 422, 429)
#: What every write can answer besides: a missing key, a missing batch or listing, a change
#: since, a body too large or not JSON.
WRITE = (*COMMON, 400, 404, 409, 413, 415)


def _refused(request, response, error, _instance, model_adapter) -> None:
    """spectree's hook before the view: a request the schema refused becomes a problem. A bad
    Idempotency-Key is 400, as the IETF draft has it; any other value is 422."""
    if error is None:
        return
    status = 400 if getattr(error, "title", "") == WriteHeaders.__name__ else 422
    found = problems.from_validation(model_adapter.validation_errors(error), status)
    response.set_data(problems.response(found).get_data())
    response.status_code = status
    response.mimetype = problems.MEDIA_TYPE
    response.headers["Cache-Control"] = "no-store"


spec = SpecTree(
    "flask",
    mode="strict",
    # spectree's own document routes (never registered: api/docs.py serves the document)
    # are left out of the document by this prefix, so it must not be the API's.
    path="spectree",
    title="circularity API",
    version=VERSION,
    description="The park's batches, custody operations, market and figures as JSON. "
    "Send a token made on the account page as `Authorization: Bearer <token>`; every write "
    "takes an `Idempotency-Key`; errors are RFC 7807 problem details naming the field. "
    "docs/api.md has examples of every call.",
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type="http",
                scheme="bearer",
                description="An API token (circ_...) made on /account/tokens. Scopes: "
                "read (every GET) and record (every POST).",
            ),
        )
    ],
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    before=_refused,
    validation_error_model=problems.Problem,
)


def _answers(status: int, model, errors: tuple[int, ...]) -> Response:
    found = {f"HTTP_{code}": problems.Problem for code in errors}
    return Response(**found, **{f"HTTP_{status}": model})


#: What the addresses' parameters are, wherever they appear.
PATH_PARAMETERS = {
    "code": "A batch's label code, as printed or scanned (case, spaces and dashes forgiven)",
    "listing_id": "The offer's or demand's id",
    "run_id": "The matching run's id",
    "proposal_id": "The proposal's id",
    "exchange_id": "The exchange's id",
}


def _declare(view, **options):
    """spectree's declaration of ``view``, named by the view's function (the operationId)."""
    return spec.validate(
        operation_id=view.__name__, path_parameter_descriptions=PATH_PARAMETERS, **options
    )(view)


def reads(model, *, query=None, errors: tuple[int, ...] = (), tags=()):
    """A GET answering ``model``; ``errors`` beyond COMMON (404 for a path naming a thing)."""

    def decorator(view):
        return _declare(
            view,
            query=query,
            resp=_answers(200, model, COMMON + errors),
            tags=tags,
            security={"bearer": ["read"]},
        )

    return decorator


def writes(model, *, json=None, status: int = 201, tags=()):
    """A POST taking the ``json`` model (or no body) with an Idempotency-Key, answering
    ``model`` with ``status``."""

    def decorator(view):
        return _declare(
            view,
            json=json,
            headers=WriteHeaders,
            resp=_answers(status, model, WRITE),
            tags=tags,
            security={"bearer": ["record"]},
        )

    return decorator


@cache
def document() -> dict:
    """The OpenAPI 3.1 document: spectree's, with problems as application/problem+json."""
    found = copy.deepcopy(spec.spec)
    for operations in found["paths"].values():
        for operation in operations.values():
            for code, answer in operation["responses"].items():
                content = answer.get("content", {})
                if int(code) >= 400 and "application/json" in content:
                    answer["content"] = {problems.MEDIA_TYPE: content.pop("application/json")}
            if operation.get("description") == "":
                del operation["description"]
    return found
