"""Deals, a covering index for call statistics, full-text (trigram) contact search on SQLite.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from softphone.crm.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Month statistics are one range scan of this covering index, grouped by its leading
# columns without sorting (start_hour, direction, outcome); started_at is last so that it is
# only read for the two boundary hours of a range that does not start on a full hour.
STATS_COLUMNS = [
    "start_hour", "direction", "outcome", "talk_seconds", "ring_seconds", "contact_id",
    "account", "agent", "started_at",
]

# New contacts are added to the index by the store itself, one statement per batch
# (``INSERT INTO contact_fts ... SELECT``): an AFTER INSERT trigger makes FTS5 flush its
# pending terms for every row, 7x slower for bulk imports. Updates and deletes are rare and
# kept in sync by triggers, whoever makes them.
FTS_SQLITE = [
    "CREATE VIRTUAL TABLE contact_fts USING fts5("
    "search_fold, content='contacts', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER contact_fts_ad AFTER DELETE ON contacts BEGIN "
    "INSERT INTO contact_fts(contact_fts, rowid, search_fold) "
    "VALUES ('delete', old.id, old.search_fold); END",
    "CREATE TRIGGER contact_fts_au AFTER UPDATE OF search_fold ON contacts BEGIN "
    "INSERT INTO contact_fts(contact_fts, rowid, search_fold) "
    "VALUES ('delete', old.id, old.search_fold); "
    "INSERT INTO contact_fts(rowid, search_fold) VALUES (new.id, new.search_fold); END",
    "INSERT INTO contact_fts(contact_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2)),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE")),
        sa.Column("company_id", sa.Integer, sa.ForeignKey("companies.id", ondelete="CASCADE")),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_deals_contact_id", "deals", ["contact_id"])
    op.create_index("ix_deals_company_id", "deals", ["company_id"])
    op.create_index("ix_calls_stats", "calls", STATS_COLUMNS)
    # calls still open (no outcome): found at start-up without scanning the call log
    op.create_index(
        "ix_calls_open", "calls", ["agent"],
        sqlite_where=sa.text("outcome IS NULL"), postgresql_where=sa.text("outcome IS NULL"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in FTS_SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("contact_fts_au", "contact_fts_ad"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS contact_fts")
    op.drop_index("ix_calls_open", "calls")
    op.drop_index("ix_calls_stats", "calls")
    op.drop_table("deals")
