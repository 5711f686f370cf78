"""Known errors on a real PostgreSQL: a locked table, a server that does not answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from softphone.crm.errors import DatabaseLockedError, DatabaseUnavailableError
from softphone.crm.store import Store
from tests.harness.ports import free_port
from tests.harness.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def pg_store(postgres_server: PostgresServer, profile_dir: Path) -> Iterator[tuple[Store, str]]:
    url = postgres_server.create_database()
    store = Store.open(url, profile_dir, "RU", agent="alice", busy_timeout_ms=200)
    yield store, url
    store.close()
    postgres_server.drop_database(url)


def test_locked_tables_keep_the_call_log_in_the_journal(
    pg_store: tuple[Store, str], postgres_server: PostgresServer
) -> None:
    store, url = pg_store
    contact = store.create_contact("Иван", phones=["+74951234567"])
    dbname = make_url(url).database
    with psycopg.connect(host=str(postgres_server.socket_dir), port=postgres_server.port,
                         user="postgres", dbname=dbname) as other:
        other.execute("LOCK TABLE calls, contacts IN EXCLUSIVE MODE")  # reads still work
        row = store.call_started(direction="in", account="a", number="84951234567",
                                 started_at=T0)
        assert row < 0 and store.pending_count() == 1
        store.call_ended(row, ended_at=T0 + timedelta(seconds=30), outcome="missed")
        with pytest.raises(DatabaseLockedError):
            store.update_contact(contact.id, notes="x")
        assert store.get_contact(contact.id) is not None
        other.rollback()
    assert store.flush_pending() == 2
    call = store.get_call(row)
    assert call is not None and call.outcome == "missed" and call.contact_id == contact.id
    assert [m.number for m in store.missed_inbox()] == ["+74951234567"]


def test_server_that_does_not_answer_is_a_clear_error(profile_dir: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/softphone"
    with pytest.raises(DatabaseUnavailableError) as err:
        Store.open(url, profile_dir, "RU")
    assert "cannot be reached" in err.value.message
