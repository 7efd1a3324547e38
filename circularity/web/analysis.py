"""Analysis pages for park management: reconciliation, indicators, Sankey diagrams, drill-down.

Every page is a GET that computes and changes nothing, so a period can be bookmarked and
shared. The period comes as ``start`` and ``end`` dates; a bad one answers 422 naming the field.
"""

import json

from flask import Blueprint, Response, request
from flask_babel import gettext as _

from circularity.db import get_session
from circularity.fonts import FONT_FILE
from circularity.roles import requires
from circularity.services import csv_export
from circularity.services.analysis import pages, records
from circularity.web import charts
from circularity.web.rendering import render
from mfa.sankey import to_svg
from mfa.sankey_io import to_csv, to_json, to_png

bp = Blueprint("analysis", __name__, url_prefix="/analysis")

DOWNLOADS = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "csv": "text/csv",
    "json": "application/json",
}


def _period() -> records.Period:
    return records.parse_period(request.args.get("start"), request.args.get("end"))


def _scope() -> tuple[str | None, str | None, str | None]:
    return request.args.get("company"), request.args.get("material"), request.args.get("by")


def _context(period: records.Period, **extra) -> dict:
    """What every analysis page needs to repeat its period in links and forms."""
    return {"period": period, "period_args": pages.period_args(period), **extra}


@bp.get("/")
@requires("analysis")
def index():
    """Indicators and the Sankey diagram of the park, a company or a material."""
    page = pages.analysis_page(get_session(), _period(), *_scope())
    scope_args = _scope_args()
    return render(
        "analysis/index.html",
        **_context(page.period),
        page=page,
        svg=charts.sankey(page.diagram, pages.period_args(page.period)),
        scope_args=scope_args,
        view_args={**pages.period_args(page.period), **scope_args},
    )


def _scope_args() -> dict:
    return {k: request.args[k] for k in ("company", "material", "by") if request.args.get(k)}


@bp.get("/sankey.<any(svg, png, csv, json):fmt>")
@requires("analysis")
def sankey_download(fmt: str):
    period = _period()
    scope, diagram = pages.scoped_sankey(get_session(), period, *_scope())
    if fmt == "svg":
        body = to_svg(diagram, title=_("Material flows"), amount=charts.sankey_mass)
    elif fmt == "png":
        body = to_png(diagram, font_file=FONT_FILE, amount=charts.sankey_mass)
    elif fmt == "csv":
        body = csv_export.made_safe(to_csv(diagram))
    else:
        body = json.dumps(to_json(diagram), ensure_ascii=False, indent=1)
    name = f"sankey-{scope.kind}-{period.first.isoformat()}-{period.last.isoformat()}.{fmt}"
    return Response(
        body,
        mimetype=DOWNLOADS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/reconcile")
@requires("analysis")
def reconcile():
    """The reconciliation of the period's reported flows and each company's imbalance."""
    page = pages.reconcile_page(get_session(), _period())
    return render("analysis/reconcile.html", **_context(page.period), page=page)


@bp.get("/flow")
@requires("analysis")
def flow():
    """The batches behind one flow, each linked to its page."""
    page = pages.flow_page(
        get_session(),
        _period(),
        request.args.get("source", ""),
        request.args.get("target", ""),
        request.args.get("material", "*") or "*",
    )
    return render("analysis/flow.html", **_context(page.period), page=page)
