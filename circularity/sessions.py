"""The signed session cookie, verified once per cookie and process instead of per request.

Flask's cookie session builds its serializer anew, checks the cookie's HMAC, decodes and
parses the payload on every request. A browser sends the very same cookie until the session
changes (login, a flash message, the CSRF token's first use), so a process keeps what a
cookie value was verified to hold, with its signing time, and only checks the age again. A
scan's redirect spent about a tenth of its time opening the session.

Nothing is trusted that was not verified: the kept entries are keyed by the exact cookie
text and the keys that signed it, a changed byte is a new text that goes through
itsdangerous, and a cookie older than ``PERMANENT_SESSION_LIFETIME`` opens an empty session
as it does in Flask. Each request gets its own copy of the data, since views change it.
"""

import copy
import threading
import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

_PLAIN = (str, int, float, bool, type(None))


class KeptCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session with the serializer and verified cookies kept."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}
        self._verified: dict[tuple, tuple[dict, int]] = {}
        self._lock = threading.Lock()

    def _keys(self, app: Flask) -> tuple | None:
        if not app.secret_key:
            return None
        return (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        return self._serializer(app, self._keys(app))

    def _serializer(self, app: Flask, keys: tuple | None) -> URLSafeTimedSerializer | None:
        if keys is None:
            return None
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers[keys] = serializer
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        keys = self._keys(app)
        serializer = self._serializer(app, keys)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (keys, value)
        kept = self._verified.get(key)
        if kept is None:
            try:
                data, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:  # a forged, altered or expired cookie: no session
                return self.session_class()
            kept = (data, int(signed.timestamp()))
            with self._lock:
                if len(self._verified) >= self.size:
                    self._verified.clear()
                self._verified[key] = kept
        data, signed_at = kept
        age = int(time.time()) - signed_at
        if age > max_age or age < 0:  # as itsdangerous's own age check
            return self.session_class()
        return self.session_class(
            {name: v if isinstance(v, _PLAIN) else copy.deepcopy(v) for name, v in data.items()}
        )
