"""The login form's rate limit, counted with the ``limits`` library.

Only the login form is limited, so the count is taken in that view alone. Flask-Limiter (built
on the same library) hooks every request of the app to look for limits that might apply, and
on a scan or a batch page that look cost more than a tenth of a millisecond for nothing.
"""

from flask import Flask, current_app, request
from limits import parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

_KEY = "circularity.login_limit"


class LoginLimiter:
    """``LOGIN_RATE_LIMIT`` attempts per client address, in ``RATELIMIT_STORAGE_URI``
    (``memory://`` by default; a shared store such as ``redis://`` for several processes)."""

    def __init__(self) -> None:
        # One store per URI, shared by the apps built in this process (tests build many).
        self._storages: dict[str, Storage] = {}

    def init_app(self, app: Flask) -> None:
        uri = app.config["RATELIMIT_STORAGE_URI"]
        if uri not in self._storages:
            self._storages[uri] = storage_from_string(uri)
        app.extensions[_KEY] = FixedWindowRateLimiter(self._storages[uri])

    def check(self) -> None:
        """Count one attempt from this request's address; refuse it with 429 past the limit."""
        limit = parse(current_app.config["LOGIN_RATE_LIMIT"])
        if not current_app.extensions[_KEY].hit(limit, "login", request.remote_addr or "unknown"):
            raise TooManyRequests()

    def reset(self) -> None:
        """Forget every count (tests start each from zero)."""
        for storage in self._storages.values():
            storage.reset()
