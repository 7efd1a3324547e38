"""Background jobs: a write that starts long work (a matching run) answers 202 with its job;
the job's address answers its status and progress, and once done where the result is.

A token sees the jobs its person started (an admin's: every one), as the job's page does.
"""

from circularity.api.auth import caller
from circularity.api.base import reads
from circularity.api.blueprint import bp
from circularity.api.schemas import jobs as schemas
from circularity.db import get_session
from circularity.services import jobs

ID = "int(min=1, max=2147483647)"


@bp.get(f"/jobs/<{ID}:job_id>")
@reads(schemas.JobOut, errors=(404,), tags=("jobs",))
def show_job(job_id: int):
    """A job's status (queued, running, done, failed), its progress in percent, what it made
    once done and why it failed; another person's job is answered as one that does not
    exist (404)."""
    return schemas.job_out(jobs.view(get_session(), caller(), job_id))
