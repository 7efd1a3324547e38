"""Company kinds, credits by the fate of their outputs, illustrative inventory figures

- ``company.kind``: producer, recycler or waste management; symbiosis figures count
  deliveries between producers and recyclers only. Existing companies become producers
  (an admin sets the others).
- ``credit``: the mass a closing treated (``input_g``), the part of the credited mass whose
  fate is still unknown (``pending_g``), whether the credit is final or provisional, and the
  citation of its baseline. Existing entries were booked on the closing's input: their
  ``input_g`` is their mass, and they stay final until a recalculation supersedes them.
- ``inventoryentry.illustrative``: an example figure (the demo park's).
- The monthly totals are rebuilt: a treatment's output now carries its closing's route, so
  the rates count each tonne once (a closing's mass less its outputs).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 09:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="producer",
            )
        )
    with op.batch_alter_table("credit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "baseline_source",
                sqlmodel.sql.sqltypes.AutoString(length=300),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("input_g", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("pending_g", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=12),
                nullable=False,
                server_default="final",
            )
        )
    op.execute("UPDATE credit SET input_g = mass_g")
    with op.batch_alter_table("inventoryentry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("illustrative", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Imported here, not at the top: only this step needs the application's rules.
    from circularity.services.analysis import monthly_totals

    session = Session(bind=op.get_bind())
    monthly_totals.replace(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table("inventoryentry", schema=None) as batch_op:
        batch_op.drop_column("illustrative")
    with op.batch_alter_table("credit", schema=None) as batch_op:
        batch_op.drop_column("status")
        batch_op.drop_column("pending_g")
        batch_op.drop_column("input_g")
        batch_op.drop_column("baseline_source")
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_column("kind")
