"""SQLModel tables, one domain aggregate per module.

Importing this package registers every table on ``SQLModel.metadata``, which Alembic
compares against the migrations.
"""

from circularity.models.account import ROLES, Company, User
from circularity.models.batch import BATCH_STATUSES, Batch
from circularity.models.event import ChainHead, Event, EventBatch

__all__ = [
    "BATCH_STATUSES",
    "ROLES",
    "Batch",
    "ChainHead",
    "Company",
    "Event",
    "EventBatch",
    "User",
]
