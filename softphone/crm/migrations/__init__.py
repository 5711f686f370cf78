"""Alembic migrations of the contact store (run programmatically by ``softphone.crm.db``)."""
