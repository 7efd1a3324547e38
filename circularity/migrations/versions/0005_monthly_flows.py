"""Monthly totals of the custody records for the park management dashboard

The totals are derived from the event log; a database that already holds events gets them
computed here, so the dashboard is right from the first request after the upgrade. From then
on every event adds its records in its own transaction
(circularity.services.analysis.monthly_totals).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:12:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthlyflow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("route", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("material_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("mass_g", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "month", "kind", "reason", "company_id", "partner_id", "route", "material_code"
        ),
    )
    with op.batch_alter_table("monthlyflow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monthlyflow_month"), ["month"], unique=False)
    # Imported here, not at the top: only this step needs the application's rules.
    from circularity.services.analysis import monthly_totals

    session = Session(bind=op.get_bind())
    monthly_totals.replace(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table("monthlyflow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monthlyflow_month"))
    op.drop_table("monthlyflow")
