"""The JSON API, /api/v1: batches and every custody operation, offers and demands, matching
runs, proposals and exchanges, and the dashboard's and analysis pages' figures, for the
systems a park's companies already run (weighbridges, ERPs, waste contractors' software).

Every view parses its request, calls the same service function the page calls and answers
with JSON; the rules (who may see and do what, what a value may be) are the services' alone.
``auth`` reads the bearer token, ``idempotent`` answers a write's retries, ``problems`` turns
every refusal into RFC 7807 problem details, ``base`` declares each operation for validation
and for the OpenAPI document that ``docs`` serves. The tokens themselves are made on the
account page (``tokens``, services.api_tokens).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API and the account page where its tokens are made."""
    from circularity.api import (  # noqa: F401 (they add the routes)
        batches,
        docs,
        epcis,
        figures,
        jobs,
        market,
        tokens,
    )
    from circularity.api.blueprint import bp

    app.register_blueprint(bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(epcis.bp)
