"""A session token on every account

Session cookies name the account's ``session_token`` besides its id (Flask-Login's alternative
id); changing the token ends every session of that person. Existing accounts each get a fresh
random token here, so sessions opened before the upgrade (which named the id alone) end too:
everyone logs in once more.

The column is added with an empty default so existing rows can take it; PostgreSQL then drops
the default (SQLite cannot, and the app never writes an empty token: an empty one opens no
session).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:10:00.000000
"""

import secrets

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "user",
        sa.Column(
            "session_token",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
            server_default="",
        ),
    )
    bind = op.get_bind()
    users = sa.table("user", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    if bind.dialect.name == "postgresql":
        op.alter_column("user", "session_token", server_default=None)


def downgrade() -> None:
    op.drop_column("user", "session_token")  # SQLite 3.35 and later drop columns in place
