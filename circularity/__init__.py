"""circularity: the web app and command line of the park's material flows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

PACKAGE = Path(__file__).resolve().parent


def _asset_folder(name: str) -> str:
    """templates/ and static/ live at the repository root; a wheel carries them inside the
    package, so a plain ``pip install .`` serves pages too."""
    packaged = PACKAGE / name
    return str(packaged if packaged.is_dir() else PACKAGE.parent / name)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web app: settings (defaults and environment, then ``instance/config.py``, or
    ``test_config`` instead), the log filter, the database engine, the task queue of long
    work, the extensions (translations, CSRF, htmx, the login limit, logins), the blueprints,
    the web edge (security headers, the proxy in front, body sizes) and the error pages.

    Flask and the rest are imported here, not at the top: every ``circularity`` command
    imports this package, and the file commands (``match``, ``reconcile``) need none of them.
    """
    from flask import Flask

    from circularity import config, db, jobs, logs
    from circularity.extensions import csrf, htmx, limiter, login_manager
    from circularity.web import edge, errors, language

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=_asset_folder("templates"),
        static_folder=_asset_folder("static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    config.finish(app.config)

    logs.init_app(app)
    db.init_app(app)
    jobs.init_app(app)  # the task queue of long work (JOBS_URL)
    language.init_app(app)  # Flask-Babel, in each reader's language and the park's time zone
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from circularity.web import register_blueprints

    register_blueprints(app)
    edge.init_app(app)
    errors.init_app(app)
    return app
