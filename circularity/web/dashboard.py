"""The park management dashboard: indicators with their trends, the Sankey diagram, the carbon
balance against its path, the largest streams to landfill or incineration and circularity per
company; the same figures as CSV files and a PDF report.

Every page is a GET that reads the monthly totals (circularity.services.analysis.monthly_totals)
and changes nothing; each figure links to the analysis, batch or carbon page that shows what is
behind it.
"""

from datetime import datetime

from flask import Blueprint, Response, request
from flask_babel import gettext as _

from circularity.db import get_session
from circularity.roles import requires
from circularity.services.analysis import dashboard, pages, records, report, tables
from circularity.services.custody import checkpoints
from circularity.times import park_timezone
from circularity.web import charts
from circularity.web.rendering import render

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def _board() -> tuple[dashboard.Dashboard, dict[str, str]]:
    session = get_session()
    window = dashboard.parse_window(request.args.get("period"))
    return dashboard.dashboard(session, window), records.process_names(session)


def _filename(board: dashboard.Dashboard, name: str, ext: str) -> dict:
    months = f"{board.window.months[0]}-{board.window.months[-1]}"
    return {"Content-Disposition": f'attachment; filename="{name}-{months}.{ext}"'}


@bp.get("/")
@requires("dashboard")
def index():
    page = pages.dashboard_page(get_session(), request.args.get("period"))
    return render(
        "dashboard/index.html",
        page=page,
        board=page.board,
        years=range(datetime.now(park_timezone()).year, 2019, -1),
        sparks={
            "recycling": charts.sparkline(page.recycling_trend, _("Recycling rate")),
            "diversion": charts.sparkline(page.diversion_trend, _("Landfill diversion rate")),
        },
        balance_svg=charts.balance_chart(page.board.carbon.years, _("Carbon balance and path")),
        avoided_svg=charts.avoided_chart(page.board.carbon.years, _("Avoided emissions")),
        sankey_svg=charts.sankey(page.diagram, page.period_args),
    )


@bp.get("/<any(indicators, trend, streams, companies, balance, flows):figure>.csv")
@requires("dashboard")
def download(figure: str):
    board, names = _board()
    table = tables.table(board, names, figure)
    return Response(table.csv(), mimetype="text/csv", headers=_filename(board, figure, "csv"))


@bp.get("/report.pdf")
@requires("dashboard")
def pdf():
    board, names = _board()
    generated = datetime.now(park_timezone()).strftime("%Y-%m-%d %H:%M")
    body = report.pdf(board, names, generated, checkpoints.latest_checkpoint(get_session()))
    return Response(body, mimetype="application/pdf", headers=_filename(board, "report", "pdf"))
