"""Settings: every one the park may choose, with its default and meaning, read with `setting`.

A setting marked ``environment`` is read from the environment variable of its name when the app
is built; every setting can be set in ``instance/config.py`` or a test's config. The README's
Configuration table lists the same settings (tests/test_docs.py checks it).
"""

import copy
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context

from circularity.i18n import LANGUAGES
from mfa.uncertainty import DEFAULT_RELATIVE_SD


@dataclass(frozen=True)
class Setting:
    default: Any
    meaning: str
    environment: bool = False


SETTINGS = {
    "DATABASE_URL": Setting(
        None, "SQLAlchemy URL; None: a SQLite file in the instance folder", environment=True
    ),
    "BASE_URL": Setting(
        "http://127.0.0.1:5000",
        "labels print <BASE_URL>/b/<code>; https marks cookies Secure",
        environment=True,
    ),
    "SECRET_KEY": Setting(
        None, "signs sessions and CSRF tokens; None: random on every start", environment=True
    ),
    "LOGIN_RATE_LIMIT": Setting(
        "10 per minute", "login attempts allowed per client address", environment=True
    ),
    "API_RATE_LIMIT": Setting(
        "300 per minute", "requests to the JSON API allowed per token", environment=True
    ),
    # memory:// counts inside one server process (waitress's threads share it); with several
    # processes (gunicorn workers, several hosts) every one must count in one shared store.
    "RATELIMIT_STORAGE_URI": Setting(
        "memory://",
        "where the login limit is counted: redis://host:6379 for several processes",
        environment=True,
    ),
    # 0: the socket's address is the client's and X-Forwarded-* headers are ignored (anyone
    # could send them). n: the app sits behind n proxies that each append X-Forwarded-For.
    "TRUSTED_PROXIES": Setting(
        0, "how many proxies in front set X-Forwarded-For and -Proto", environment=True
    ),
    # The default needs nothing extra: the queue is a SQLite file beside the embedded database.
    # With workers on several machines every one must read one shared queue.
    "JOBS_URL": Setting(
        None,
        "the task queue of long work: None: a SQLite file in the instance folder; "
        "sqlite:///FILE; redis://host:6379/0 for workers on several machines; immediate: "
        "each job runs in the request that starts it",
        environment=True,
    ),
    "JOBS_QUEUE": Setting(
        "circularity",
        "the queue's name, so that several sites can share one Redis",
        environment=True,
    ),
    "PARK_TIMEZONE": Setting(
        "Asia/Shanghai", "the time zone of event times, pages and months", environment=True
    ),
    "CHECKPOINT_KEY_FILE": Setting(
        None,
        "PEM file of the Ed25519 key signing checkpoints; None: made in the instance folder",
        environment=True,
    ),
    "ROAD_CIRCUITY": Setting(1.3, "road km per great-circle km for matching: an assumption"),
    "CARBON_FACTOR_SET": Setting("defra-2025", "the factor set new credits use"),
    "CARBON_BASELINES": Setting(
        {}, "per material, {route, source} of its real counterfactual; overrides the shipped table"
    ),
    "CARBON_TARGET_YEAR": Setting(2028, "the pilot's climate-neutrality year"),
    "CARBON_BASELINE_YEAR": Setting(None, "start of the path; None: first year with all areas"),
    "DISTRICT_POPULATION": Setting(150_000, "inhabitants: bounds inventory figures (the pilot's)"),
    "UNCERTAINTY_RELATIVE_SD": Setting(
        DEFAULT_RELATIVE_SD, "relative standard deviation of masses by how they were obtained"
    ),
}

#: Flask and extension settings the app fixes; a park has no reason to change them.
FRAMEWORK = {
    # None: decided by finish() from the final BASE_URL (Secure whenever served over https).
    # HttpOnly and SameSite=Lax always: scripts cannot read the session and other sites cannot
    # post with it.
    "SESSION_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_SECURE": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Forms and label selections are small; anything larger is refused with 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "en",
    # The catalogues (circularity.i18n); circularity.web.language picks one per request.
    "LANGUAGES": list(LANGUAGES),
    "WTF_CSRF_TIME_LIMIT": None,  # a token lives as long as the session
}


def setting(name: str) -> Any:
    """The app's value of a setting, or its default outside an app (mfa-free helpers, tests)."""
    if has_app_context():
        return current_app.config.get(name, SETTINGS[name].default)
    return SETTINGS[name].default


def defaults(instance_path: str) -> dict:
    """The settings every app starts from.

    ``DATABASE_URL`` selects the database; without it the app uses a SQLite file in the
    instance folder, so the two quick-start commands need no server; ``JOBS_URL``, the task
    queue, likewise. ``SECRET_KEY`` must be
    set in production: the generated fallback changes on every start, logging everyone out.
    """
    values = {
        name: os.environ.get(name, s.default) if s.environment else s.default
        for name, s in SETTINGS.items()
    }
    values["SECRET_KEY"] = values["SECRET_KEY"] or secrets.token_hex(32)
    values["DATABASE_URL"] = (
        values["DATABASE_URL"] or f"sqlite:///{Path(instance_path) / 'circularity.sqlite'}"
    )
    values["JOBS_URL"] = values["JOBS_URL"] or f"sqlite:///{Path(instance_path) / 'jobs.sqlite'}"
    values["BASE_URL"] = values["BASE_URL"].rstrip("/")
    return copy.deepcopy(values | FRAMEWORK)  # no app shares a list or table with another


def finish(config) -> None:
    """Settings that follow from others once every source has been read."""
    config["BASE_URL"] = config["BASE_URL"].rstrip("/")
    https = config["BASE_URL"].startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config.get(key) is None:
            config[key] = https
    try:
        config["TRUSTED_PROXIES"] = int(config["TRUSTED_PROXIES"])
    except (TypeError, ValueError):
        config["TRUSTED_PROXIES"] = -1
    if config["TRUSTED_PROXIES"] < 0:
        raise ValueError("TRUSTED_PROXIES must be a whole number of proxies, 0 or more")
