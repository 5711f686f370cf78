"""Office tests: the session's real PostgreSQL server (tests/harness/postgres.py)."""

from __future__ import annotations

from tests.harness.postgres import postgres_server, postgres_url  # noqa: F401
