"""Alembic environment: always called with an open connection by ``softphone.crm.db``."""

from __future__ import annotations

from alembic import context

from softphone.crm.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only programmatic use is supported
    raise RuntimeError("softphone migrations run through softphone.crm.db.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
