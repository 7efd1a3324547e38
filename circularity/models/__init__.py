"""SQLModel tables, one domain aggregate per module.

Importing this package registers every table on ``SQLModel.metadata``, which Alembic
compares against the migrations.
"""

from circularity.models.account import COMPANY_KINDS, Company, User
from circularity.models.api import ApiRequest, ApiToken
from circularity.models.batch import BATCH_STATUSES, Batch
from circularity.models.carbon import (
    INVENTORY_AREAS,
    Credit,
    CreditRun,
    Factor,
    FactorSet,
    InventoryEntry,
)
from circularity.models.checkpoint import Checkpoint
from circularity.models.event import ChainHead, Event, EventBatch
from circularity.models.job import JOB_STATUSES, Job
from circularity.models.market import (
    LISTING_STATUSES,
    Demand,
    Exchange,
    ExchangeShipment,
    MatchRun,
    Offer,
    Proposal,
    ProposalDecision,
)
from circularity.models.monthly_totals import MonthlyFlow

__all__ = [
    "ApiRequest",
    "ApiToken",
    "BATCH_STATUSES",
    "INVENTORY_AREAS",
    "JOB_STATUSES",
    "LISTING_STATUSES",
    "Batch",
    "ChainHead",
    "Checkpoint",
    "COMPANY_KINDS",
    "Company",
    "Credit",
    "CreditRun",
    "Demand",
    "Event",
    "EventBatch",
    "Factor",
    "FactorSet",
    "InventoryEntry",
    "Job",
    "Exchange",
    "ExchangeShipment",
    "MatchRun",
    "MonthlyFlow",
    "Offer",
    "Proposal",
    "ProposalDecision",
    "User",
]
