"""An index that covers what the ledger page sums

The credit ledger page shows the whole ledger's totals (entries, kg CO2e, mass, provisional,
entries per factor set). Summed from the table, every entry is read whole, its inputs' JSON
too (about 1.6 kB an entry: a quarter of a second for 80,000 entries on SQLite); this index
holds the summed columns, so the database answers from the index alone.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 22:20:00.000000
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

COLUMNS = ["ledger", "factor_set", "factor_edition", "status", "credit_kg", "mass_g"]


def upgrade() -> None:
    op.create_index("ix_credit_sums", "credit", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_credit_sums", table_name="credit")
