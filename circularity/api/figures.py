"""The figures of the dashboard and the analysis pages: the same numbers, from the same calls.

Each view calls the function its page calls (``services.analysis.pages``) and answers its
figures as JSON with the formula and the source of each; the page's role rule guards it (the
park's roles: ``dashboard`` and ``analysis``). A bad period, company, material or grouping is
the page's own refusal, a 422 problem naming the field.
"""

from circularity.api.auth import requires
from circularity.api.base import reads
from circularity.api.blueprint import bp
from circularity.api.schemas import figures as schemas
from circularity.db import get_session
from circularity.services.analysis import pages, records

TAGS = ("figures",)


def _period(query: schemas.PeriodQuery) -> records.Period:
    return records.parse_period(query.start, query.end)


@bp.get("/dashboard")
@requires("dashboard")
@reads(schemas.DashboardOut, query=schemas.DashboardQuery, tags=TAGS)
def dashboard(query: schemas.DashboardQuery):
    """The dashboard of a calendar year or the last 12 months: rates with their masses, month
    by month, per company, the largest streams to landfill or incineration, the flows, the
    symbiosis network and the carbon balance against its path."""
    return schemas.dashboard_out(pages.dashboard_page(get_session(), query.period))


@bp.get("/analysis")
@requires("analysis")
@reads(schemas.AnalysisOut, query=schemas.AnalysisQuery, tags=TAGS)
def analysis(query: schemas.AnalysisQuery):
    """The indicators and flows of the park, one company or one material over a period (the
    last 90 days by default), computed from the event log as /analysis/ shows them."""
    page = pages.analysis_page(
        get_session(), _period(query), query.company, query.material, query.by
    )
    return schemas.analysis_out(page)


@bp.get("/analysis/reconcile")
@requires("analysis")
@reads(schemas.ReconcileOut, query=schemas.PeriodQuery, tags=TAGS)
def reconcile(query: schemas.PeriodQuery):
    """The reconciliation of the period's reported flows: the global test, every flow as
    reported and reconciled, the flagged ones, and each company's mass balance."""
    return schemas.reconcile_out(pages.reconcile_page(get_session(), _period(query)))


@bp.get("/analysis/flow")
@requires("analysis")
@reads(schemas.FlowDetailOut, query=schemas.FlowQuery, errors=(404,), tags=TAGS)
def flow(query: schemas.FlowQuery):
    """The batches behind one flow of the period, heaviest first; 404 when the period has no
    such flow."""
    page = pages.flow_page(
        get_session(), _period(query), query.source, query.target, query.material or "*"
    )
    return schemas.flow_detail_out(page)
