"""The store on every backend: each store test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.crm.store import Store
from tests.harness.postgres import PostgresServer, postgres_server  # noqa: F401

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=[pytest.mark.postgres,
                                                   pytest.mark.integration]),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The database URL to open: ``None`` (SQLite in the profile) or a fresh PG database."""
    if request.param == "sqlite":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def store(backend: str | None, profile_dir: Path) -> Iterator[Store]:
    s = Store.open(backend, profile_dir, default_region="RU", agent="alice")
    yield s
    s.close()
