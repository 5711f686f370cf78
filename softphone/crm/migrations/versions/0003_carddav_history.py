"""A contact's history (what a sync conflict replaced) and the CardDAV links of contacts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from softphone.crm.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contact_id", sa.Integer,
                  sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_contact_history_contact_id", "contact_history", ["contact_id"])
    # one row per card of a CardDAV address book (``book``: its URL); ``contact_id`` becomes
    # NULL when the contact is deleted here, which the next sync sends to the server
    op.create_table(
        "carddav_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("book", sa.String(1000), nullable=False),
        sa.Column("href", sa.String(1000), nullable=False),
        sa.Column("contact_id", sa.Integer,
                  sa.ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("uid", sa.String(300), nullable=False),
        sa.Column("etag", sa.String(300), nullable=True),
        sa.Column("base_card", sa.Text, nullable=True),
        sa.Column("synced_version", sa.Integer, nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.UniqueConstraint("book", "href", name="uq_carddav_items_book_href"),
    )
    op.create_index("ix_carddav_items_contact_id", "carddav_items", ["contact_id"])
    op.create_table(
        "carddav_state",
        sa.Column("book", sa.String(1000), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("carddav_state")
    op.drop_index("ix_carddav_items_contact_id", "carddav_items")
    op.drop_table("carddav_items")
    op.drop_index("ix_contact_history_contact_id", "contact_history")
    op.drop_table("contact_history")
