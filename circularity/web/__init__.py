"""Blueprints by area; views are thin: parse, call one service, render."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from circularity.web import (
        admin,
        analysis,
        auth,
        batches,
        carbon,
        dashboard,
        filters,
        home,
        market,
        scan,
    )

    filters.init_app(app)

    for module in (auth, home, batches, scan, admin, analysis, market, carbon, dashboard):
        app.register_blueprint(module.bp)
