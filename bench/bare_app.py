"""The load benchmark's yardstick: the circularity app with a bare Flask endpoint beside it.

Both are served by one gunicorn (``bare_app:app`` with ``bench/`` on the Python path), so
the bare endpoint measures what the server, the worker model and the machine allow, and
the ratio to it shows what the app's own work costs. The bare app is mounted under
``/_bare`` with werkzeug's dispatcher, which adds only a prefix check to app requests.
``/_bench/logged-in`` is the app answering a logged-in person with nothing else to do.
"""

from flask import Flask
from flask_login import login_required
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from circularity.wsgi import app as circularity_app

bare = Flask("bare")


@bare.get("/")
def ok():
    return "ok"


@circularity_app.get("/_bench/logged-in")
@login_required
def logged_in():
    """What every page of a logged-in person pays before it does its own work: the session,
    the login and the database session's lifecycle. Added here, in the benchmark's server
    only, as the floor the scan and ship/receive requests stand on."""
    return "ok"


app = DispatcherMiddleware(circularity_app, {"/_bare": bare})
