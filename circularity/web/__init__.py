"""Blueprints by area; views are thin: parse, call one service, render."""

from flask import Flask
from werkzeug.routing import IntegerConverter


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route: a row id, 1 to 2**31 - 1 (a PostgreSQL integer), so an
    address naming a larger number is a 404, not an overflow in the database driver."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter
    from circularity.web import (
        admin,
        analysis,
        auth,
        batches,
        carbon,
        dashboard,
        filters,
        home,
        jobs,
        market,
        scan,
    )

    filters.init_app(app)

    for module in (auth, home, batches, scan, admin, analysis, market, carbon, dashboard, jobs):
        app.register_blueprint(module.bp)

    from circularity import api

    api.init_app(app)
