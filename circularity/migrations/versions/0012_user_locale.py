"""The language each person chose

A person may choose the language pages are shown in (English, German or Simplified Chinese,
by its catalogue name: en, de, zh_Hans). Empty for every existing account: their browser's
Accept-Language decides, as before.

Revision ID: 0012
Revises: 0014
Create Date: 2026-12-04 12:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "user",
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("locale")
