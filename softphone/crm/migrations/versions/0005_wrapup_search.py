"""Wrap-ups searchable by their words: ``wrapups.search_fold`` (outcome, reason and note,
case-folded like the contacts' ``search_fold``: SQLite's lower() and LIKE know only ASCII, so
"Прислать" would not find "прислать").

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from softphone.crm.queries import wrapup_fold

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("wrapups", sa.Column("search_fold", sa.Text, nullable=False,
                                       server_default=""))
    bind = op.get_bind()
    wrapups = sa.table("wrapups", sa.column("call_id", sa.Integer),
                       sa.column("outcome", sa.String), sa.column("reason", sa.String),
                       sa.column("note", sa.Text), sa.column("search_fold", sa.Text))
    rows = bind.execute(sa.select(wrapups.c.call_id, wrapups.c.outcome, wrapups.c.reason,
                                  wrapups.c.note)).all()
    for call_id, outcome, reason, note in rows:
        bind.execute(wrapups.update().where(wrapups.c.call_id == call_id)
                     .values(search_fold=wrapup_fold(outcome, reason, note)))


def downgrade() -> None:
    with op.batch_alter_table("wrapups") as batch:
        batch.drop_column("search_fold")
