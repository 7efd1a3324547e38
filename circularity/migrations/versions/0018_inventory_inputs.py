"""The activity data an inventory figure was computed from

An inventory figure may be computed from activity data (electricity bought times a grid
emission factor, a fuel times a cited factor); the inputs are kept with it, as JSON. Empty for
every existing figure: they were typed as totals.

Revision ID: 0018
Revises: 0012
Create Date: 2026-12-04 06:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "inventoryentry",
        sa.Column("inputs", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("inventoryentry") as batch:
        batch.drop_column("inputs")
