"""crm/journaled.py: a write the database refuses with a known error is journaled (and the
user told once per refusal), replayed in order before the next write, kept when the replay is
refused again, and set aside when it fails as a bug or its record is gone, never dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from softphone.crm.errors import (
    ConflictError,
    DatabaseLockedError,
    DiskFullError,
    NotFoundError,
    StoreError,
)
from softphone.crm.journal import JOURNAL_NAME, PendingJournal
from softphone.crm.journaled import JournaledWrites


class Table:
    """What the handlers write to; ``refuse`` makes every write fail with that error."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.refuse: Exception | None = None

    def add(self, value: Any) -> int:
        if self.refuse is not None:
            raise self.refuse
        self.rows.append(value)
        return len(self.rows)


@pytest.fixture
def table() -> Table:
    return Table()


def writes_for(path: Path, table: Table) -> JournaledWrites:
    w = JournaledWrites(PendingJournal(path / JOURNAL_NAME))
    w.retry_interval = 0.0
    w.handle("add", lambda value: table.add(value))
    return w


def test_a_write_that_works_returns_its_result(tmp_path: Path, table: Table) -> None:
    w = writes_for(tmp_path, table)
    assert w.write("add", {"value": "a"}) == 1
    assert table.rows == ["a"] and w.pending_count() == 0


def test_refused_writes_are_journaled_then_replayed_in_order(tmp_path: Path,
                                                             table: Table) -> None:
    w = writes_for(tmp_path, table)
    told: list[StoreError] = []
    w.on_pending = told.append
    table.refuse = DatabaseLockedError()
    assert w.write("add", {"value": "a"}) is None
    assert w.write("add", {"value": "b"}) is None  # replay refused: journaled behind "a"
    assert w.pending_count() == 2 and table.rows == []
    assert len(told) == 1 and isinstance(w.last_error, DatabaseLockedError)
    table.refuse = None
    assert w.write("add", {"value": "c"}) == 3  # the journal goes first
    assert table.rows == ["a", "b", "c"] and w.pending_count() == 0


def test_journal_survives_a_restart(tmp_path: Path, table: Table) -> None:
    w = writes_for(tmp_path, table)
    table.refuse = DiskFullError()
    w.write("add", {"value": "a"})
    table.refuse = None
    assert writes_for(tmp_path, table).flush_pending() == 1
    assert table.rows == ["a"]


def test_replay_stops_at_the_first_refusal_and_keeps_the_rest(tmp_path: Path) -> None:
    journal = PendingJournal(tmp_path / JOURNAL_NAME)
    for v in ("a", "b", "c"):
        journal.append("add", {"value": v})
    seen: list[str] = []

    def add(value: str) -> None:
        if value == "b":
            raise DatabaseLockedError()
        seen.append(value)

    w = JournaledWrites(journal)
    w.handle("add", add)
    assert w.flush_pending() == 1
    assert seen == ["a"]
    assert [args["value"] for _op, args in journal.entries()] == ["b", "c"]


def test_bugs_and_vanished_records_are_set_aside_not_blocking(tmp_path: Path) -> None:
    journal = PendingJournal(tmp_path / JOURNAL_NAME)
    for v in ("gone", "bug", "changed", "ok"):
        journal.append("add", {"value": v})
    journal.append("no_such_op", {})
    written: list[str] = []

    def add(value: str) -> None:
        if value == "gone":
            raise NotFoundError()
        if value == "changed":
            raise ConflictError()
        if value == "bug":
            raise KeyError("oops")
        written.append(value)

    w = JournaledWrites(journal)
    w.handle("add", add)
    assert w.flush_pending() == 1
    assert written == ["ok"] and not journal
    rejected = journal.rejected_path.read_text(encoding="utf-8").splitlines()
    assert len(rejected) == 4 and "no_such_op" in rejected[-1]


def test_not_found_and_conflict_reach_the_caller_directly(tmp_path: Path,
                                                          table: Table) -> None:
    w = writes_for(tmp_path, table)
    table.refuse = NotFoundError()
    with pytest.raises(NotFoundError):
        w.write("add", {"value": "a"})
    assert w.pending_count() == 0


def test_after_a_failed_replay_writes_wait_for_the_retry_interval(tmp_path: Path,
                                                                  table: Table) -> None:
    w = writes_for(tmp_path, table)
    w.retry_interval = 3600.0
    table.refuse = DatabaseLockedError()
    w.write("add", {"value": "a"})
    table.refuse = None
    assert w.write("add", {"value": "b"}) is None  # no retry yet: straight to the journal
    assert table.rows == [] and w.pending_count() == 2
    assert w.flush_pending() == 2  # an explicit flush always tries
    assert table.rows == ["a", "b"]
