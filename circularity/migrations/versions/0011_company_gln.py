"""A Global Location Number on a company

A company that has a GS1 GLN for its site gets it here, so that the EPCIS export names its
site ``https://id.gs1.org/414/<GLN>`` (and the company as a party ``…/417/<GLN>``) instead of
a URI under the park's own address. Empty for every existing company.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:30:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "company",
        sa.Column("gln", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("company") as batch:
        batch.drop_column("gln")
