"""Settings: defaults here, overridden by environment variables, instance config or tests."""

import os
import secrets
from pathlib import Path


def defaults(instance_path: str) -> dict:
    """The settings every app starts from.

    ``DATABASE_URL`` selects the database; without it the app uses a SQLite file in the
    instance folder, so the two quick-start commands need no server. ``SECRET_KEY`` must be
    set in production: the generated fallback changes on every start, logging everyone out.
    """
    base_url = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or f"sqlite:///{Path(instance_path) / 'circularity.sqlite'}",
        "BASE_URL": base_url,
        # None: decided by finish() from the final BASE_URL (Secure whenever served over
        # https). HttpOnly and SameSite=Lax always: scripts cannot read the session and other
        # sites cannot post with it.
        "SESSION_COOKIE_SECURE": None,
        "REMEMBER_COOKIE_SECURE": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Forms and label selections are small; anything larger is refused with 413.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "PARK_TIMEZONE": os.environ.get("PARK_TIMEZONE", "Asia/Shanghai"),
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en"],
        "WTF_CSRF_TIME_LIMIT": None,
        # Road km over great-circle km for matching distances: an assumption (docs/matching.md);
        # set it in instance/config.py.
        "ROAD_CIRCUITY": 1.3,
    }


def finish(config) -> None:
    """Settings that follow from others once every source has been read."""
    config["BASE_URL"] = config["BASE_URL"].rstrip("/")
    https = config["BASE_URL"].startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config.get(key) is None:
            config[key] = https
