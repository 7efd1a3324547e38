"""The API's OpenAPI 3.1 document and its page, both public: they describe the API and open
nothing. The page is Swagger UI, vendored in static/ (static/vendor/README.md)."""

from flask import jsonify, render_template, url_for

from circularity.api.base import document
from circularity.api.blueprint import bp


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/docs")
def docs():
    """Every operation with its fields, answers and problems; with a token pasted into
    Authorize, each can be tried from the page."""
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))
