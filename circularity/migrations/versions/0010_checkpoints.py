"""Signed checkpoints of the event chain, append-only like the events

A checkpoint row keeps the signed note that ``circularity checkpoint`` wrote; the database
refuses to change or delete one, as it does for events (migration 0002).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("head_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("signed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checkpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkpoint_tree_size"), ["tree_size"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkpoint_signed_at"), ["signed_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # circularity_append_only() is migration 0002's: it refuses any UPDATE or DELETE.
        op.execute(
            "CREATE TRIGGER checkpoint_append_only BEFORE UPDATE OR DELETE ON checkpoint "
            "FOR EACH ROW EXECUTE FUNCTION circularity_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER checkpoint_no_{action.lower()} BEFORE {action} ON checkpoint "
            "BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER checkpoint_append_only ON checkpoint")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER checkpoint_no_{action}")
    with op.batch_alter_table("checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoint_signed_at"))
        batch_op.drop_index(batch_op.f("ix_checkpoint_tree_size"))
    op.drop_table("checkpoint")
