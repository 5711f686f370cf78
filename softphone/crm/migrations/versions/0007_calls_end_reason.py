"""Why a call ended as it did, in words the history shows: ``calls.end_reason`` (an incoming
call the phone refused for lack of a common codec: the codecs the caller offered).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("end_reason", sa.String(300)))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("end_reason")
