"""The web edge: what every response carries, and how a request is read before any view.

- Security headers from Flask-Talisman: a Content-Security-Policy that allows scripts, styles
  and everything else from this site alone (no inline scripts or styles anywhere, no eval;
  the scan page may also compile the vendored WebAssembly decoder), no framing by other sites,
  no MIME sniffing, the Referer only within the site, HSTS when ``BASE_URL`` is https.
- ``Cache-Control: no-store`` on every page and download (each carries the person's CSRF
  token or data), so Back after logout or a shared computer's cache shows nothing; responses
  that set their own caching keep it.
- Compression: pages, fragments and JSON are compressed by Flask-Compress (zstd, brotli or
  gzip, as the browser accepts; ``Vary: Accept-Encoding``). Static files are precompressed
  and served by WhiteNoise under names that carry their content's hash, cached for a year
  (circularity.web.static_files), with the same security headers as every page.
- The proxy in front: with ``TRUSTED_PROXIES`` = n, Werkzeug's ProxyFix takes the client's
  address and scheme from the last n ``X-Forwarded-For`` / ``X-Forwarded-Proto`` values, so
  the login limit counts per person, not per proxy. Without it the socket address counts and
  forwarded headers are ignored (a client could forge them).
- A body without a length (chunked) over ``MAX_CONTENT_LENGTH`` is refused with 413, as one
  with a length is. Werkzeug would cut it at the limit and parse what is left, a form
  without its CSRF token, answering 400.
"""

import io

from flask import Flask, Response, abort, request
from flask_compress import Compress
from flask_talisman import Talisman
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_content_length

from circularity.web import static_files

SELF = "'self'"

#: Content-Security-Policy of every page. No 'unsafe-inline' and no 'unsafe-eval': templates
#: carry no inline <script>, event handler or style attribute, and htmx runs with allowEval
#: off and without its inline indicator styles (templates/base.html, htmx-config).
CONTENT_SECURITY_POLICY = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    "img-src": SELF,
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": SELF,
    "frame-ancestors": "'none'",
}

#: Pages that compile WebAssembly: the scanner's zxing decoder (static/vendor). The
#: 'wasm-unsafe-eval' source allows WebAssembly compilation only, not JavaScript eval.
WASM_PAGES = ("scan.index",)
WASM_POLICY = CONTENT_SECURITY_POLICY | {"script-src": f"{SELF} 'wasm-unsafe-eval'"}

#: The API's documentation page: Swagger UI (static/vendor) draws its icons as data: SVG
#: images. Scripts and styles stay this site's own; only that page may show data: images.
DOCS_PAGES = ("api.docs",)
DOCS_POLICY = CONTENT_SECURITY_POLICY | {"img-src": f"{SELF} data:"}

#: The full Referer goes to this site's own pages (Flask-WTF checks it over https); other
#: sites get none, so batch addresses never leave the park's server.
REFERRER_POLICY = "same-origin"

_TOO_LARGE = "circularity.body_too_large"


def init_app(app: Flask) -> None:
    """Install the edge on ``app``, once its blueprints are registered (the scan page's
    policy is set on its view)."""
    https = app.config["BASE_URL"].startswith("https://")
    talisman = Talisman()
    talisman.init_app(
        app,
        # Redirecting http to https is the proxy's or server's job; HSTS keeps browsers there.
        force_https=False,
        strict_transport_security=https,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy=REFERRER_POLICY,
        # The session cookie's flags are config.FRAMEWORK's (Secure follows BASE_URL).
        session_cookie_secure=False,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
    app.extensions["circularity.talisman"] = talisman
    for pages, policy in ((WASM_PAGES, WASM_POLICY), (DOCS_PAGES, DOCS_POLICY)):
        for endpoint in pages:
            view = app.view_functions.get(endpoint)
            if view is not None:  # Talisman's per-view options, as its decorator sets them
                view.talisman_view_options = {"content_security_policy": policy}

    app.before_request(_refuse_large_bodies)
    app.after_request(_no_store)

    Compress(app)

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.wsgi_app = BoundedBody(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    # Outermost: static files are answered before the proxy fix, body checks or any view.
    static_files.init_app(app, static_file_headers(talisman, https))


def static_file_headers(talisman: Talisman, https: bool) -> dict[str, str]:
    """The security headers Talisman gives this site's responses, for the static files that
    WhiteNoise answers without Flask. HSTS goes on whenever the site is served over https
    (browsers ignore it over http), as the files' headers are fixed at start."""
    headers = {
        "Permissions-Policy": ", ".join(f"{k}={v}" for k, v in talisman.permissions_policy.items()),
        "X-Frame-Options": talisman.frame_options,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "; ".join(
            f"{k} {v}" for k, v in CONTENT_SECURITY_POLICY.items()
        ),
        "Referrer-Policy": REFERRER_POLICY,
    }
    if https:
        headers["Strict-Transport-Security"] = (
            f"max-age={talisman.strict_transport_security_max_age}"
        )
    return headers


class BoundedBody:
    """WSGI middleware: a body without Content-Length is read up to the limit first. One
    that fits is handed on with its length; one byte more makes the request too large: the
    first read of its body (Flask-WTF's, parsing the form) raises 413, and so does a view
    that reads none. Servers that pass chunked bodies on unbuffered (Werkzeug's, gunicorn)
    set ``wsgi.input_terminated``; without it Werkzeug reads no such body at all."""

    def __init__(self, wsgi_app, limit: int | None) -> None:
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ, start_response):
        if (
            self.limit is not None
            and get_content_length(environ) is None  # none given, or chunked
            and environ.get("wsgi.input_terminated")
        ):
            body = environ["wsgi.input"].read(self.limit + 1)
            if len(body) > self.limit:
                environ[_TOO_LARGE] = True
                environ["wsgi.input"] = _TooLargeBody()
            else:
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
                environ.pop("HTTP_TRANSFER_ENCODING", None)  # the body is whole now
        return self.wsgi_app(environ, start_response)


class _TooLargeBody:
    """The body of a request over the limit: reading it is refused."""

    def read(self, *_args) -> bytes:
        raise RequestEntityTooLarge()


def _refuse_large_bodies() -> None:
    if request.environ.get(_TOO_LARGE):
        abort(413)


def _no_store(response: Response) -> Response:
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
