"""A locked, corrupt or full database: clear errors, the store keeps working, nothing lost.

Real conditions only: another connection holding ``BEGIN EXCLUSIVE``, a file with garbage in
it, SQLite's own "database or disk is full" (``max_page_count``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from softphone.crm.errors import (
    DatabaseCorruptError,
    DatabaseLockedError,
    DiskFullError,
    StoreError,
)
from softphone.crm.journal import JOURNAL_NAME
from softphone.crm.store import Store
from softphone.profile import database_file

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@contextmanager
def exclusive_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another program holding the database: an open exclusive write transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


@pytest.fixture
def sqlite_store(profile_dir: Path) -> Iterator[Store]:
    s = Store.open(None, profile_dir, "RU", agent="alice", busy_timeout_ms=50)
    yield s
    s.close()


def _journal(profile: Path) -> list[dict[str, Any]]:
    path = profile / JOURNAL_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_locked_database_keeps_the_call_log_in_the_journal_and_retries(
    sqlite_store: Store, profile_dir: Path
) -> None:
    store = sqlite_store
    contact = store.create_contact("Иван", phones=["+74951234567"])
    kept: list[StoreError] = []
    store.on_pending = kept.append

    with exclusive_lock(database_file(profile_dir)):
        row = store.call_started(direction="in", account="office", number="84951234567",
                                 started_at=T0)
        assert row < 0  # a pending id
        assert store.call_answered(row, T0 + timedelta(seconds=4)) is None
        store.call_ended(row, ended_at=T0 + timedelta(seconds=64), outcome="answered",
                         sip_status=200)
        wrap = store.save_wrapup(row, outcome="sale", note="pending note")
        assert wrap.note == "pending note"
        assert [e["op"] for e in _journal(profile_dir)] == [
            "call_started", "call_answered", "call_ended", "save_wrapup"]
        assert store.pending_count() == 4
        assert isinstance(kept[0], DatabaseLockedError)
        assert "busy" in kept[0].message
        # other writes say clearly that the database is locked
        with pytest.raises(DatabaseLockedError):
            store.create_contact("Пётр", phones=["+74957654321"])
        # reading still works under WAL: the app keeps working
        assert store.get_contact(contact.id) is not None
        assert store.flush_pending() == 0  # still locked: nothing written, nothing lost
        assert store.pending_count() == 4

    assert store.flush_pending() == 4
    assert store.pending_count() == 0
    assert not (profile_dir / JOURNAL_NAME).exists()
    call = store.get_call(row)  # the pending id keeps working
    assert call is not None and call.id > 0
    assert call.contact_id == contact.id and call.outcome == "answered"
    assert call.talk_seconds == 60 and call.ring_seconds == 4
    assert call.wrapup is not None and call.wrapup.note == "pending note"
    assert store.flush_pending() == 0


def test_journal_is_retried_automatically_by_the_next_write(
    sqlite_store: Store, profile_dir: Path
) -> None:
    store = sqlite_store
    store.retry_interval = 0  # default: retried by writes made 10 s after the failure
    with exclusive_lock(database_file(profile_dir)):
        first = store.call_started(direction="in", account="a", number="+74951234567",
                                   started_at=T0)
    second = store.call_started(direction="out", account="a", number="+74951234568",
                                started_at=T0 + timedelta(minutes=1))
    assert second > 0 and store.pending_count() == 0
    calls = store.list_calls()
    assert [c.number for c in calls] == ["+74951234568", "+74951234567"]
    assert store.get_call(first) == calls[1]


def test_journal_survives_a_crash_and_is_written_at_next_open(profile_dir: Path) -> None:
    store = Store.open(None, profile_dir, "RU", agent="alice", busy_timeout_ms=50)
    with exclusive_lock(database_file(profile_dir)):
        row = store.call_started(direction="in", account="a", number="+74951234567",
                                 started_at=T0)
        store.call_ended(row, ended_at=T0 + timedelta(seconds=20), outcome="missed")
        store.engine.dispose()  # crash: no close(), no flush
    reopened = Store.open(None, profile_dir, "RU", agent="alice")
    try:
        calls = reopened.list_calls()
        assert len(calls) == 1 and calls[0].outcome == "missed"
        assert [m.number for m in reopened.missed_inbox()] == ["+74951234567"]
        assert reopened.pending_count() == 0
    finally:
        reopened.close()


def test_replaying_an_entry_twice_does_not_duplicate_the_call(
    sqlite_store: Store, profile_dir: Path
) -> None:
    store = sqlite_store
    with exclusive_lock(database_file(profile_dir)):
        store.call_started(direction="in", account="a", number="+74951234567", started_at=T0)
    journal = (profile_dir / JOURNAL_NAME).read_text()
    assert store.flush_pending() == 1
    (profile_dir / JOURNAL_NAME).write_text(journal)  # crash between write and truncate
    store.flush_pending()
    assert len(store.list_calls()) == 1


def test_an_entry_that_can_never_be_written_is_set_aside_not_dropped(
    sqlite_store: Store, profile_dir: Path
) -> None:
    store = sqlite_store
    with exclusive_lock(database_file(profile_dir)):
        ok = store.call_started(direction="in", account="a", number="+74951234567",
                                started_at=T0)
        store.link_call(ok, 424242)  # a contact that does not exist (deleted meanwhile)
        store.call_ended(ok, ended_at=T0 + timedelta(seconds=9), outcome="missed")
    assert store.flush_pending() == 2
    assert store.get_call(ok).outcome == "missed"  # type: ignore[union-attr]
    assert store.pending_count() == 0
    rejected = (profile_dir / (JOURNAL_NAME + ".rejected")).read_text()
    assert "424242" in rejected and "link_call" in rejected


def test_locked_database_at_open_is_a_clear_error(profile_dir: Path) -> None:
    Store.open(None, profile_dir, "RU").close()
    with exclusive_lock(database_file(profile_dir)):
        s = Store.open(None, profile_dir, "RU", busy_timeout_ms=50)  # reading is fine (WAL)
        with pytest.raises(DatabaseLockedError):
            s.create_contact("X", phones=["+74951234567"])
        s.engine.dispose()


def test_garbage_file_is_reported_corrupt_and_left_alone(profile_dir: Path) -> None:
    path = database_file(profile_dir)
    garbage = b"this is not a database at all\n" * 200
    path.write_bytes(garbage)
    with pytest.raises(DatabaseCorruptError) as err:
        Store.open(None, profile_dir, "RU")
    assert "damaged" in err.value.message
    assert path.read_bytes() == garbage


def test_damaged_pages_are_reported_corrupt(profile_dir: Path) -> None:
    store = Store.open(None, profile_dir, "RU")
    for i in range(300):
        store.create_contact(f"Contact {i}", phones=[f"+7495{i:07d}"],
                             notes="x" * 200)
    store.close()
    path = database_file(profile_dir)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - page, page * 3):
        data[offset : offset + 64] = b"\xff" * 64  # scribble over many b-tree page headers
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorruptError):
        s = Store.open(None, profile_dir, "RU")
        try:
            s.search("contact", limit=500)
            list(s.iter_contacts())
            s.lookup("+74950000299")
        finally:
            s.engine.dispose()


def test_disk_full_is_a_clear_error_and_the_call_log_is_kept(
    sqlite_store: Store, profile_dir: Path
) -> None:
    store = sqlite_store
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _limit(dbapi_connection: Any, _record: Any) -> None:  # the database cannot grow
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    with pytest.raises(DiskFullError) as err:
        for i in range(2000):
            store.create_contact(f"Filler {i}", notes="x" * 2000, phones=[f"+7495{i:07d}"])
    assert "full" in err.value.message
    rows = []
    for _ in range(500):  # the call log fills the last free pages, then is journaled
        rows.append(store.call_started(direction="in", account="a", number="+74951234567",
                                       display_name="y" * 1000, started_at=T0))
        if rows[-1] < 0:
            break
    row = rows[-1]
    assert row < 0 and store.pending_count() == 1
    assert isinstance(store.last_error, DiskFullError)
    event.remove(store.engine, "connect", _limit)
    store.engine.dispose()  # space freed
    assert store.flush_pending() == 1
    assert store.get_call(row) is not None
