"""Calls whose number arrived with no default region set: kept as they came, marked.

A national number (``84951234567``) cannot be turned into E.164 without knowing the country;
it is stored as it arrived with ``needs_region`` true (phones keep such numbers with the kind
``noregion``) and normalised, and linked to its contact, once a region is set
(``softphone.crm.regions``).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("needs_region", sa.Boolean, nullable=False,
                                     server_default=sa.false()))
    # the few rows to normalise when a region is set, found without scanning the call log
    op.create_index(
        "ix_calls_needs_region", "calls", ["id"],
        sqlite_where=sa.text("needs_region"), postgresql_where=sa.text("needs_region"),
    )


def downgrade() -> None:
    op.drop_index("ix_calls_needs_region", "calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("needs_region")
