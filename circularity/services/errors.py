"""Errors that services raise on purpose; views and the CLI turn them into messages."""

from flask_babel import gettext


class ServiceError(Exception):
    """Base class; ``status`` is the HTTP status a view answers with.

    ``message`` is an English template with ``%(name)s`` placeholders filled from
    ``params``; it is translated with gettext (in the person's language inside a request),
    so every message a person reads goes through the catalogue. ``pybabel extract`` finds
    these templates by the exception names (see babel.cfg).
    """

    status = 400

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        self.message = gettext(message, **params) if params else gettext(message)
        # Kept untranslated for a reader elsewhere: a background job's page (services.jobs).
        self.template, self.params = message, params
        super().__init__(self.message)
        self.field = field

    @property
    def label(self) -> str:
        """The field's name in words, as the form shows it (``fields.label``)."""
        from circularity.services.fields import label

        return label(self.field)


class InvalidInput(ServiceError):
    """A value is missing or wrong; ``field`` names it."""

    status = 422


class NotFound(ServiceError):
    """No such batch, company or user (or not one this person may see)."""

    status = 404


class Forbidden(ServiceError):
    """This person may not take this action on this thing."""

    status = 403


class Conflict(ServiceError):
    """The thing changed since the person looked at it, or someone else acted first."""

    status = 409
