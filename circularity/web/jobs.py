"""A background job's page: its progress while it runs, then a link to what it made.

The page's job widget polls its own address with htmx while the job is queued or running and
stops once it is done or failed; without scripts the page offers a link to look again.
"""

from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from circularity.db import get_session
from circularity.services import jobs
from circularity.web.rendering import render

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

#: Where a job's result is shown: result kind -> (endpoint, its argument, the link's words).
RESULTS = {"run": ("market.show_run", "run_id", _l("Open the matching run"))}


def result_link(job) -> tuple[str, str] | None:
    """(address, words) of the link to what the job made; None until it is done."""
    if job.result_kind is None:
        return None
    endpoint, argument, words = RESULTS[job.result_kind]
    return url_for(endpoint, **{argument: job.result_id}), str(words)


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    view = jobs.view(get_session(), current_user, job_id)
    return render(
        "jobs/job.html", partial="jobs/_job.html", view=view, result=result_link(view.job)
    )
