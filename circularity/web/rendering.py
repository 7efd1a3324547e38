"""Page or fragment, decided in one place.

A plain request or an htmx-boosted one gets the whole page; an htmx request for a widget
gets just its partial. Responses vary on HX-Request (besides anything else they vary on, such
as the session's Cookie) so caches keep the two apart.
"""

from flask import make_response, render_template

from circularity.extensions import htmx


def render(template: str, status: int = 200, partial: str | None = None, **context):
    fragment = partial and htmx and not htmx.boosted
    response = make_response(render_template(partial if fragment else template, **context), status)
    response.vary.add("HX-Request")
    return response
