"""Flask extensions, created once and bound to each app in ``create_app``."""

from flask import current_app
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
htmx = HTMX()
login_manager = LoginManager()
# Counted per client address in RATELIMIT_STORAGE_URI (memory:// by default, for one server
# process; redis:// to share the count between processes). The address is the socket's, or
# the one the TRUSTED_PROXIES in front report (ProxyFix, circularity.web.edge). No default
# limits: only the login form is limited.
limiter = Limiter(get_remote_address)


def login_rate_limit() -> str:
    """``LOGIN_RATE_LIMIT``: failed and successful login attempts allowed per client address."""
    return current_app.config["LOGIN_RATE_LIMIT"]
