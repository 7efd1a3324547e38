"""A version number of the park's directory of companies and people

Every insert, update or delete on ``company`` or ``user`` raises ``directoryversion.version``
by one, in the same transaction, through triggers: whatever writes those tables (the admin
pages, the command line, a hand-typed statement) moves the version. Server processes keep the
companies and people they have read for as long as the version stays the same.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("company", "user")
ACTIONS = ("INSERT", "UPDATE", "DELETE")
BUMP = "UPDATE directoryversion SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
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


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TABLES:
            op.execute(f'DROP TRIGGER {name}_directory_version ON "{name}"')
        op.execute("DROP FUNCTION circularity_directory_changed()")
    else:
        for name in TABLES:
            for action in ACTIONS:
                op.execute(f"DROP TRIGGER {name}_{action.lower()}_directory_version")
    op.drop_table("directoryversion")
