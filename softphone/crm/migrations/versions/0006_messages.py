"""Chat messages (SIP MESSAGE) in the CRM timeline beside calls.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from softphone.crm.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UNREAD = "read_at IS NULL AND direction = 'in'"


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("remote_uri", sa.String(500), nullable=False),
        sa.Column("peer_key", sa.String(300), nullable=False),
        sa.Column("number_key", sa.String(30)),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("contact_id", sa.Integer,
                  sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("sip_status", sa.Integer),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("read_at", UTCDateTime()),
        sa.Column("agent", sa.String(200)),
        sa.Column("client_key", sa.String(40), unique=True),
    )
    op.create_index("ix_messages_contact", "messages", ["contact_id", "sent_at"])
    op.create_index("ix_messages_peer", "messages", ["peer_key", "sent_at"])
    op.create_index("ix_messages_number_key", "messages", ["number_key"])
    op.create_index("ix_messages_unread", "messages", ["agent", "peer_key"],
                    sqlite_where=sa.text(UNREAD), postgresql_where=sa.text(UNREAD))


def downgrade() -> None:
    op.drop_table("messages")
