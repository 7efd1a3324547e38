"""Background jobs: the app's own record of each piece of long work the task queue runs.

The queue (circularity.jobs: Huey) only carries the job's id; this row is what pages and the
API show: who asked for what, how far it is, and the result it made or why it failed, in words.
"""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from circularity.times import utcnow

# queued: waiting for a worker; running: a worker has it; done: the result is stored;
# failed: the error is stored in words.
JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # The form's or the Idempotency-Key's id: a retried request finds the job it started.
    client_token: str = Field(unique=True, max_length=64)
    kind: str = Field(max_length=30)
    user_id: int = Field(foreign_key="user.id", index=True)
    status: str = Field(default="queued", max_length=10)
    progress: int = 0  # percent
    # What the job made, e.g. ("run", 12): matching run 12.
    result_kind: str | None = Field(default=None, max_length=30)
    result_id: int | None = None
    # The English message with %(name)s placeholders and its values as JSON, translated for
    # the reader when shown (the worker has no reader).
    error_message: str | None = Field(default=None, max_length=500)
    error_params: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
