"""The load benchmark's yardstick: the circularity app with a bare Flask endpoint beside it.

Both are served by one gunicorn (``bare_app:app`` with ``bench/`` on the Python path), so
the bare endpoint measures what the server, the worker model, the load generator and the
machine allow, and the distance to it shows what the app's own work costs. The bare app is
mounted under ``/_bare`` with werkzeug's dispatcher, which adds only a prefix check to app
requests; the app itself is served exactly as ``circularity.wsgi`` builds it.
"""

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from circularity.wsgi import app as circularity_app

bare = Flask("bare")


@bare.get("/")
def ok():
    return "ok"


app = DispatcherMiddleware(circularity_app, {"/_bare": bare})
