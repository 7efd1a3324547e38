"""``url_for`` in templates, each address built once.

A batch page asks for a dozen addresses (the header's links, the static files, the forms'
actions) and Flask builds each anew through the URL map, about as costly as one of the page's
database queries. With no URL defaults registered, a relative address depends only on the
endpoint, its values and the mount point (``request.script_root``), and the URL map does not
change once the app serves, so each is kept in a bounded cache. Anything else (external
addresses, a scheme, an anchor, relative endpoints, list values) goes to Flask as it is.
"""

from functools import lru_cache

from flask import Flask, request, url_for


@lru_cache(maxsize=8192)
def _built(endpoint: str, script_root: str, values: tuple) -> str:
    return url_for(endpoint, **dict(values))


def cached_url_for(endpoint: str, **values) -> str:
    if endpoint.startswith(".") or any(name.startswith("_") for name in values):
        return url_for(endpoint, **values)
    try:
        return _built(endpoint, request.script_root, tuple(values.items()))
    except TypeError:  # an unhashable value, such as a list of codes
        return url_for(endpoint, **values)


def init_app(app: Flask) -> None:
    if app.url_default_functions:  # a URL default could add values the key does not hold
        return
    app.jinja_env.globals["url_for"] = cached_url_for
