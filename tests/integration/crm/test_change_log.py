"""The SQLite change feed reads the trigger-written ``change_log`` (migration 0008) instead of
whole tables: every table the views show is reported, whoever writes (the Store, another
program, another process, the command line), deletes included; an import batch is a few
entries; a reader that fell behind, a database without the log or with a trigger missing
reloads everything (RESYNC) rather than missing a change; 0007 upgrades to it and
downgrades back. Real SQLite files throughout."""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from softphone.crm.changes import (
    LOG_TRIGGERS,
    READ_ROWS,
    TABLES,
    Change,
    ChangeFeed,
    ChangeLogReader,
    sqlite_path,
)
from softphone.crm.db import alembic_config, current_revision, head_revision, make_engine, migrate
from softphone.crm.store import Store

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
KEEP = 1000  # entries the triggers keep (migration 0008)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(None, tmp_path / "profile", default_region="RU", agent="anna")
    try:
        yield opened
    finally:
        opened.close()


def db_file(store: Store) -> str:
    return sqlite_path(str(store.engine.url))


@pytest.fixture
def reader(store: Store) -> Iterator[ChangeLogReader]:
    conn = sqlite3.connect(db_file(store))
    started = ChangeLogReader(conn)
    started.start()
    assert started.complete
    try:
        yield started
    finally:
        conn.close()


def tables(changes: list[Change]) -> set[str]:
    return {c.table for c in changes}


def test_every_table_the_views_show_is_reported(store: Store, reader: ChangeLogReader) -> None:
    now = datetime.now(UTC)
    contact = store.create_contact("Pavel", company="Лето", phones=["+74950001122"])
    assert tables(reader.read()) == {"contacts", "companies"}
    call = store.call_started(direction="in", account="LAN", number="+74950001122",
                              started_at=now - timedelta(minutes=1))
    store.call_ended(call, ended_at=now, outcome="missed", sip_status=487)
    changes = reader.read()
    assert {"calls", "missed_inbox"} <= tables(changes)
    assert Change("calls", call, "INSERT", "anna") in changes
    store.save_wrapup(call, outcome="Resolved", note="done")
    assert tables(reader.read()) == {"wrapups"}
    store.add_task(kind="call_back", title="Перезвонить", due_at=now, contact_id=contact.id)
    assert tables(reader.read()) == {"tasks"}
    store.add_deal(title="Поставка", contact_id=contact.id)
    assert tables(reader.read()) == {"deals"}
    store.ignore_number("+74950009999", "spam")
    assert tables(reader.read()) == {"ignored_numbers"}
    store.message_received(account="LAN", remote_uri="sip:boris@192.0.2.7", body="привет")
    assert "messages" in tables(reader.read())
    store.add_history(contact.id, source="carddav", kind="conflict", fields={"name": "P"})
    assert tables(reader.read()) == {"contact_history"}
    store.add_phone(contact.id, "+74950003344")
    assert reader.read() == [Change("contacts", contact.id, "UPDATE")]  # a phone: its contact
    assert reader.read() == []  # nothing new
    # every reported table has all three triggers
    with sqlite3.connect(db_file(store)) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                            "'trigger' AND name LIKE 'change_log%'")}
    assert {n for table in TABLES for n in LOG_TRIGGERS[table]} <= names


def test_deletes_are_reported_with_their_rows(store: Store, reader: ChangeLogReader) -> None:
    kept = store.create_contact("Kept", phones=["+74950001111"])
    gone = store.create_contact("Gone", phones=["+74950002222"])
    reader.read()
    assert store.delete_contact(gone.id)
    changes = reader.read()
    assert Change("contacts", gone.id, "DELETE") in changes
    assert all(c.row_id == gone.id for c in changes)  # its phone too, nothing of `kept`
    assert kept.id != gone.id


def test_a_growing_entry_reports_only_the_new_rows(store: Store,
                                                   reader: ChangeLogReader) -> None:
    conn = sqlite3.connect(db_file(store))
    try:
        conn.execute("INSERT INTO companies (name, name_fold, created_at) "
                     "VALUES ('A', 'a', '2026-01-01')")
        conn.commit()
        first = reader.read()
        assert [c.op for c in first] == ["INSERT"] and first[0].table == "companies"
        conn.execute("INSERT INTO companies (name, name_fold, created_at) "
                     "VALUES ('B', 'b', '2026-01-01')")
        conn.commit()
        assert reader.read() == [Change("companies", first[0].row_id + 1, "INSERT")]
        # the one entry grew: one log row for both
        count = conn.execute("SELECT count(*) FROM change_log WHERE tbl = 'companies'")
        assert count.fetchone()[0] == 1
    finally:
        conn.close()


def test_a_reader_that_fell_behind_reloads_everything(store: Store,
                                                      reader: ChangeLogReader) -> None:
    ids = [store.create_contact(f"C{i}").id for i in range(3)]
    reader.read()
    conn = sqlite3.connect(db_file(store))
    try:
        # alternating rows: nothing coalesces, more entries than the log keeps
        for i in range(KEEP + 10):
            conn.execute("UPDATE contacts SET notes = ? WHERE id = ?", (str(i), ids[i % 2 * 2]))
        conn.commit()
        assert conn.execute("SELECT count(*) FROM change_log").fetchone()[0] == KEEP
        assert reader.read() == [Change("*", None, "RESYNC")]
        conn.execute("UPDATE contacts SET notes = 'after' WHERE id = ?", (ids[1],))
        conn.commit()
        assert reader.read() == [Change("contacts", ids[1], "UPDATE")]  # back to rows
    finally:
        conn.close()


def test_an_import_batch_is_a_few_entries(tmp_path: Path, store: Store,
                                          reader: ChangeLogReader) -> None:
    """A command-line import of 3,000 people in another process: a handful of log entries,
    reported as one CHANGED per table rather than thousands of rows."""
    csv = tmp_path / "people.csv"
    csv.write_text("Name,Phone,Company\n" + "".join(
        f"Person {i},+7 495 {i // 10000:03d}-{i % 10000 // 100:02d}-{i % 100:02d},Co {i % 7}\n"
        for i in range(3000)), encoding="utf-8")
    with sqlite3.connect(db_file(store)) as conn:
        before = conn.execute("SELECT max(id) FROM change_log").fetchone()[0]
    done = subprocess.run([sys.executable, "-m", "softphone", "--profile",
                           str(tmp_path / "profile"), "contacts", "import", str(csv)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db_file(store)) as conn:
        entries = conn.execute("SELECT count(*) FROM change_log WHERE id > ?",
                               (before,)).fetchone()[0]
    assert entries <= 20
    changes = reader.read()
    assert len(changes) <= 20
    assert {"contacts", "companies"} <= tables(changes)
    assert Change("contacts", None, "CHANGED") in changes
    assert store.count_contacts() == 3000


WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("UPDATE contacts SET notes = 'from another program' WHERE id = ?", (sys.argv[2],))
conn.execute("DELETE FROM tasks")
conn.commit()
"""


def test_the_feed_reports_another_programs_commits(store: Store) -> None:
    contact = store.create_contact("Olga")
    task = store.add_task(kind="call_back", title="x", due_at=None, contact_id=contact.id)
    got: queue.Queue[Change] = queue.Queue()
    with ChangeFeed(str(store.engine.url), got.put, poll_interval=0.1) as feed:
        assert feed.wait_ready(15), feed.last_error
        done = subprocess.run([sys.executable, "-c", WRITER, db_file(store), str(contact.id)],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        wanted = {Change("contacts", contact.id, "UPDATE"), Change("tasks", task.id, "DELETE")}
        seen: list[Change] = []
        deadline = time.monotonic() + 15
        while not wanted <= set(seen):
            assert time.monotonic() < deadline, f"saw only {seen}"
            with contextlib.suppress(queue.Empty):
                seen.append(got.get(timeout=1))
    assert Change("*", None, "RESYNC") not in seen


def test_a_missing_trigger_means_reload_everything(store: Store,
                                                   reader: ChangeLogReader) -> None:
    """A later migration that rebuilds a table drops its triggers: the feed then reloads
    everything at each change instead of missing that table's changes."""
    with sqlite3.connect(db_file(store)) as conn:
        conn.execute("DROP TRIGGER change_log_tasks_ins")
    store.add_task(kind="call_back", title="unseen by the log", due_at=None)
    assert reader.read() == [Change("*", None, "RESYNC")]
    assert not reader.complete
    store.create_contact("Still")
    assert reader.read() == [Change("*", None, "RESYNC")]
    conn2 = sqlite3.connect(db_file(store))
    try:
        fresh = ChangeLogReader(conn2)
        fresh.start()
        assert not fresh.complete
    finally:
        conn2.close()


def test_a_database_without_the_log_reloads_everything(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "0007")
    engine.dispose()
    conn = sqlite3.connect(path)
    try:
        old = ChangeLogReader(conn)
        old.start()
        assert not old.complete
        conn.execute("INSERT INTO companies (name, name_fold, created_at) "
                     "VALUES ('A', 'a', '2026-01-01')")
        conn.commit()
        assert old.read() == [Change("*", None, "RESYNC")]
    finally:
        conn.close()


def test_upgrade_from_0007_then_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    engine = make_engine(url)
    migrate(engine, "0007")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO companies (name, name_fold, created_at) "
                          "VALUES ('Old', 'old', '2026-01-01')"))
    assert migrate(engine) == "0007"
    assert current_revision(engine) == head_revision()
    raw = sqlite3.connect(tmp_path / "db.sqlite3")
    try:
        reader = ChangeLogReader(raw)
        reader.start()
        assert reader.complete
        with engine.begin() as conn:
            conn.execute(text("UPDATE companies SET name = 'Renamed'"))
        assert reader.read() == [Change("companies", 1, "UPDATE")]

        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
        assert current_revision(engine) == "0007"
        leftovers = raw.execute("SELECT name FROM sqlite_master WHERE name LIKE "
                                "'change_log%'").fetchall()
        assert leftovers == []
        assert raw.execute("SELECT name FROM companies").fetchall() == [("Renamed",)]
        assert reader.read() == [Change("*", None, "RESYNC")]  # no log: cannot tell

        migrate(engine)
        assert current_revision(engine) == head_revision()
        assert reader.read() == [Change("*", None, "RESYNC")]  # the log is back
        assert reader.complete
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM companies"))
        assert reader.read() == [Change("companies", 1, "DELETE")]
    finally:
        raw.close()
        engine.dispose()


def test_many_rows_in_one_read_are_one_change_per_table(store: Store,
                                                        reader: ChangeLogReader) -> None:
    conn = sqlite3.connect(db_file(store))
    try:
        conn.executemany("INSERT INTO companies (name, name_fold, created_at) "
                         "VALUES (?, ?, '2026-01-01')",
                         [(f"Co {i}", f"co {i}") for i in range(READ_ROWS + 1)])
        conn.commit()
    finally:
        conn.close()
    assert reader.read() == [Change("companies", None, "CHANGED")]


def test_the_feed_asks_for_a_reload_after_its_connection_broke(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """What changed while the feed was reconnecting is not known: it says RESYNC, then reports
    rows again."""
    calls = {"n": 0}
    real_read = ChangeLogReader.read

    def read_once_broken(self: ChangeLogReader) -> list[Change]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return real_read(self)

    monkeypatch.setattr(ChangeLogReader, "read", read_once_broken)
    got: queue.Queue[Change] = queue.Queue()
    with ChangeFeed(str(store.engine.url), got.put, poll_interval=0.05,
                    retry_interval=0.05) as feed:
        assert feed.wait_ready(15), feed.last_error
        store.create_contact("Lost while broken")
        assert got.get(timeout=15) == Change("*", None, "RESYNC")
        later = store.create_contact("Seen again")
        deadline = time.monotonic() + 15
        while (change := got.get(timeout=15)) != Change("contacts", later.id, "INSERT"):
            assert time.monotonic() < deadline, change
