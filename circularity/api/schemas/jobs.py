"""A background job as the API shows it: its status and progress, then what it made."""

from datetime import datetime
from typing import Literal

from flask import url_for
from pydantic import BaseModel, Field

from circularity.services.jobs import JobView

#: Where a job's result is in the API: result kind -> (endpoint, its argument).
RESULTS = {"run": ("api.show_run", "run_id")}


class JobResult(BaseModel):
    kind: str = Field(description="What the job made: run (a matching run)")
    id: int
    url: str = Field(description="Its address in this API")


class JobOut(BaseModel):
    id: int
    kind: str = Field(description="matching (a matching run)")
    status: Literal["queued", "running", "done", "failed"] = Field(
        description="queued until a worker takes it, running, then done or failed"
    )
    progress: int = Field(description="Percent done", ge=0, le=100)
    url: str = Field(description="This job's address: GET it until it is done or failed")
    result: JobResult | None = Field(description="What it made, once done")
    error: str | None = Field(description="Why it failed, in the request's language")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_out(view: JobView) -> JobOut:
    job = view.job
    result = None
    if job.result_kind is not None:
        endpoint, argument = RESULTS[job.result_kind]
        result = JobResult(
            kind=job.result_kind,
            id=job.result_id,
            url=url_for(endpoint, **{argument: job.result_id}),
        )
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        url=url_for("api.show_job", job_id=job.id),
        result=result,
        error=view.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
