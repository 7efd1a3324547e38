"""Errors as RFC 7807 problem details (``application/problem+json``), naming the field.

Every refusal under /api is one: a service's ServiceError (its status, message and field), a
request the schema refuses (each field that is wrong), an HTTP error (no such address, too
large, too many requests) and, as a last resort, a failure on our side. A client reads
``status`` and ``type`` to decide, ``field`` to point at the value, and shows ``detail`` and
``label`` to people, in words.
"""

from http import HTTPStatus

from flask import Response, json, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, Field
from werkzeug.exceptions import HTTPException

from circularity.services import fields
from circularity.services.errors import ServiceError

MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/"

#: Problem types a client handles by name; every other problem is "about:blank" with its
#: status saying what happened.
CONFIRMATION_NEEDED = "urn:circularity:problem:confirmation-needed"
KEY_REUSED = "urn:circularity:problem:idempotency-key-reused"
INVALID_REQUEST = "urn:circularity:problem:invalid-request"

#: Names of what only the API asks for, in words (the forms' fields are in services.fields).
LABELS = {
    "Authorization": _l("Authorization header"),
    "Idempotency-Key": _l("Idempotency-Key header"),
    "confirm": _l("Confirmation"),
    "body": _l("Request body"),
    "per_page": _l("Per page"),
    "scopes": _l("Access"),
    "token": _l("Token"),
}


class FieldError(BaseModel):
    field: str = Field(description="The value's name: a body field, query parameter or header")
    label: str = Field(description="The same in words, as the forms show it")
    detail: str


class Problem(BaseModel):
    """RFC 7807 problem details, with the field they concern."""

    type: str = Field("about:blank", description="A URI naming the kind of problem")
    title: str = Field(description="The status in words")
    status: int
    detail: str = Field(description="What went wrong and what to do, for people")
    instance: str | None = Field(None, description="The request's path")
    field: str | None = Field(None, description="The value at fault, when one is")
    label: str | None = Field(None, description="That value's name in words")
    errors: list[FieldError] | None = Field(
        None, description="Every value the schema refused, when there are several"
    )
    preview: dict | None = Field(
        None,
        description="For confirmation-needed: the event the operation would record, as "
        "``{event, ledger, warning}``; send the same request with confirm true to record it",
    )


def label(field: str | None) -> str | None:
    if not field:
        return None
    if field in LABELS:
        return str(LABELS[field])
    return fields.label(field)


def wanted() -> bool:
    """Whether this request is the API's, so its errors are problems rather than pages."""
    return request.path.startswith(PREFIX)


def response(problem: Problem, headers: dict | None = None) -> Response:
    body = json.dumps(problem.model_dump(exclude_none=True), ensure_ascii=False)
    answer = Response(body, status=problem.status, mimetype=MEDIA_TYPE, headers=headers)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def problem(
    status: int,
    detail: str,
    field: str | None = None,
    type: str = "about:blank",  # noqa: A002 (RFC 7807's name)
    **extra,
) -> Problem:
    return Problem(
        type=type,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.path,
        field=field,
        label=label(field),
        **extra,
    )


def from_service(error: ServiceError) -> Response:
    return response(problem(error.status, error.message, error.field))


HTTP_MESSAGES = {
    400: _l("The request could not be read."),
    401: _l("Send an API token: Authorization: Bearer <token>."),
    403: _l("This token may not do this."),
    404: _l("There is no such address in the API."),
    405: _l("This address does not accept that method."),
    406: _l("The API answers in JSON only."),
    413: _l("What you sent is too large."),
    415: _l("Send the request body as application/json."),
    429: _l("Too many requests with this token. Wait a minute and try again."),
}


def from_http(error: HTTPException) -> Response:
    status = error.code or 500
    message = HTTP_MESSAGES.get(status)
    answer = response(problem(status, str(message) if message else str(error.description)))
    if status == 405 and error.response is None:
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            answer.headers["Allow"] = ", ".join(allowed)
    return answer


def unexpected() -> Response:
    return response(
        problem(500, _("Something went wrong on our side. Nothing was recorded; try again."))
    )


# Pydantic's error types, in the forms' words where the forms have them.
_MESSAGES = {
    "missing": _l("This field is required."),
    "extra_forbidden": _l("This field is not part of the request."),
    "string_too_long": _l("This text is too long."),
    "string_too_short": _l("This text is too short."),
    "string_pattern_mismatch": _l("This value has the wrong form."),
    "bool_type": _l("Send true or false."),
    "bool_parsing": _l("Send true or false."),
    "int_type": _l("Send a whole number."),
    "int_parsing": _l("Send a whole number."),
    "list_type": _l("Send a list."),
    "dict_type": _l("Send an object."),
    "model_type": _l("Send an object."),
    "enum": _l("Choose one of the values the documentation lists."),
    "literal_error": _l("Choose one of the values the documentation lists."),
}


def _path(location: tuple) -> str:
    """A pydantic error location as the services name fields: ``outputs[1].quantity``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def from_validation(errors: list[dict], status: int) -> Problem:
    """The problem for a request the schema refused: every wrong value, the first on top."""
    found = []
    for error in errors:
        name = _path(tuple(error.get("loc", ())))
        template = _MESSAGES.get(error.get("type", ""))
        detail = str(template) if template else _("Not valid: %(reason)s", reason=error["msg"])
        found.append(FieldError(field=name, label=label(name) or name, detail=detail))
    first = found[0] if found else FieldError(field="body", label=label("body"), detail="")
    return problem(
        status,
        first.detail or _("The request could not be read."),
        first.field,
        type=INVALID_REQUEST,
        errors=found,
    )
