"""Flask extensions, created once and bound to each app in ``create_app``."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from circularity.login_limit import LoginLimiter

babel = Babel()
csrf = CSRFProtect()
htmx = HTMX()
login_manager = LoginManager()
# Only the login form is limited; the limit itself comes from LOGIN_RATE_LIMIT.
limiter = LoginLimiter()
