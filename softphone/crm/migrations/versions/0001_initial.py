"""Initial schema: contacts, companies, phones, calls, wrap-ups, tasks, ignore list, inbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from softphone.crm.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("name_fold", sa.String(300), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("name_fold", sa.String(300), nullable=False),
        sa.Column(
            "company_id", sa.Integer, sa.ForeignKey("companies.id", ondelete="SET NULL")
        ),
        sa.Column("position", sa.String(300)),
        sa.Column("emails", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("do_not_call", sa.Boolean, nullable=False),
        sa.Column("search_fold", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_contacts_name_fold", "contacts", ["name_fold"])
    op.create_index("ix_contacts_company_id", "contacts", ["company_id"])
    op.create_table(
        "phones",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "contact_id",
            sa.Integer,
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("raw", sa.String(100), nullable=False),
        sa.Column("e164", sa.String(20)),
        sa.Column("national", sa.String(30)),
        sa.Column("rev", sa.String(30)),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("is_primary", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    for col in ("contact_id", "e164", "national", "rev"):
        op.create_index(f"ix_phones_{col}", "phones", [col])
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("number", sa.String(200), nullable=False),
        sa.Column("number_key", sa.String(30)),
        sa.Column("remote_uri", sa.String(500), nullable=False),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("start_hour", sa.Integer, nullable=False),
        sa.Column("answered_at", UTCDateTime()),
        sa.Column("ended_at", UTCDateTime()),
        sa.Column("talk_seconds", sa.Integer),
        sa.Column("ring_seconds", sa.Integer),
        sa.Column("outcome", sa.String(20)),
        sa.Column("sip_status", sa.Integer),
        sa.Column("recording_path", sa.String(1000)),
        sa.Column("quality", sa.JSON),
        sa.Column("agent", sa.String(200)),
        sa.Column("sip_call_id", sa.String(300), nullable=False),
        sa.Column("client_key", sa.String(40), unique=True),
    )
    for col in ("number_key", "contact_id", "started_at"):
        op.create_index(f"ix_calls_{col}", "calls", [col])
    op.create_table(
        "wrapups",
        sa.Column(
            "call_id",
            sa.Integer,
            sa.ForeignKey("calls.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("outcome", sa.String(100)),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("author", sa.String(200)),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("due_at", UTCDateTime()),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("done_at", UTCDateTime()),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE")),
        sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="SET NULL")),
        sa.Column("number", sa.String(200)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_tasks_due_at", "tasks", ["due_at"])
    op.create_index("ix_tasks_contact_id", "tasks", ["contact_id"])
    op.create_table(
        "ignored_numbers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number_key", sa.String(30), nullable=False, unique=True),
        sa.Column("raw", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "missed_inbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number_key", sa.String(30), nullable=False),
        sa.Column("number", sa.String(200), nullable=False),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("account", sa.String(200)),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.Column("cleared_at", UTCDateTime()),
        sa.Column("callback_seconds", sa.Integer),
        sa.Column("cleared_by_call_id", sa.Integer),
    )
    op.create_index("ix_missed_inbox_number_key", "missed_inbox", ["number_key"])
    op.create_index("ix_missed_inbox_cleared_at", "missed_inbox", ["cleared_at"])


def downgrade() -> None:
    for table in (
        "missed_inbox", "ignored_numbers", "tasks", "wrapups", "calls", "phones", "contacts",
        "companies",
    ):
        op.drop_table(table)
