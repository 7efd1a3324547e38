"""Error pages: every failure a person can cause gets a message and a 4xx, never a traceback."""

from flask import Flask, g, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from circularity.api import problems
from circularity.services.errors import ServiceError
from circularity.web.rendering import render


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        if problems.wanted():  # the API's blueprint answers its own; this is for the rest
            return problems.from_service(error)
        return render(
            "error.html",
            status=error.status,
            code=error.status,
            message=error.message,
            field=error.label,
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        app.logger.warning("CSRF refused: %s", error.description)
        message = _("The form expired or was sent from elsewhere. Reload the page and try again.")
        return render("error.html", status=400, code=400, message=message, field=None)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if problems.wanted():  # an address under /api that no route has
            return problems.from_http(error)
        messages = {
            403: _("Your role may not see or do this."),
            404: _("There is no such page."),
            405: _("This address does not accept that kind of request."),
            413: _("What you sent is too large."),
            429: _("Too many attempts. Wait a minute and try again."),
        }
        message = messages.get(error.code, error.description)
        status = error.code or 500
        return render("error.html", status=status, code=status, message=message, field=None)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # Logged through circularity.logs.Redact: no hashes, addresses or SQL parameters.
        app.logger.exception("Unhandled error")
        session = g.get("db")
        if session is not None:
            session.rollback()  # a failed statement leaves it unusable for the page's header
        if problems.wanted():
            return problems.unexpected()
        return render_template(
            "error.html", code=500, message=_("Something went wrong on our side."), field=None
        ), 500
