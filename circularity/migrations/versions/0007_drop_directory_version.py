"""Drop the directory version and its triggers

Server processes no longer keep companies and people between requests (each request reads
the person it serves and the companies a page shows), so nothing reads the counter that
migration 0006 raised on every change to ``company`` or ``user``. The triggers go first,
then their function (PostgreSQL) and the table. The downgrade puts them back as 0006 made
them, the counter starting again at 0.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("company", "user")
ACTIONS = ("INSERT", "UPDATE", "DELETE")
BUMP = "UPDATE directoryversion SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS {name}_directory_version ON "{name}"')
        op.execute("DROP FUNCTION IF EXISTS circularity_directory_changed()")
    else:
        for name in TABLES:
            for action in ACTIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{action.lower()}_directory_version")
    op.drop_table("directoryversion")


def downgrade() -> None:
    table = op.create_table(
        "directoryversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION circularity_directory_changed() RETURNS trigger AS $$
            BEGIN
                {BUMP};
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for name in TABLES:
            op.execute(
                f"CREATE TRIGGER {name}_directory_version "
                f'AFTER INSERT OR UPDATE OR DELETE ON "{name}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION circularity_directory_changed()"
            )
        return
    for name in TABLES:
        for action in ACTIONS:
            op.execute(
                f"CREATE TRIGGER {name}_{action.lower()}_directory_version "
                f'AFTER {action} ON "{name}" BEGIN {BUMP}; END'
            )
