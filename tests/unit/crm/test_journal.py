"""crm/journal.py: the pending journal keeps refused call-log writes across restarts, in order,
with their dates; a torn line is set aside (not lost, not blocking); replace() keeps only what
is left; pending ids never collide with real row ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from softphone.crm.journal import JOURNAL_NAME, PendingJournal, new_pending_id

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_entries_survive_a_new_journal_object_in_order_with_dates(tmp_path: Path) -> None:
    first = PendingJournal(tmp_path / JOURNAL_NAME)
    first.append("call_started", {"number": "+7 495", "started_at": T0, "contact_id": None})
    first.append("call_ended", {"call_id": -5, "quality": {"mos": 4.1, "at": [T0]},
                                "name": "Анна"})
    again = PendingJournal(tmp_path / JOURNAL_NAME)  # after a restart
    assert again.entries() == [
        ("call_started", {"number": "+7 495", "started_at": T0, "contact_id": None}),
        ("call_ended", {"call_id": -5, "quality": {"mos": 4.1, "at": [T0]}, "name": "Анна"}),
    ]
    assert len(again) == 2 and again
    # a date keeps its time zone
    msk = datetime(2026, 3, 2, 12, 30, tzinfo=timezone(timedelta(hours=3)))
    again.append("x", {"at": msk})
    assert again.entries()[-1][1]["at"].utcoffset() == timedelta(hours=3)


def test_an_empty_or_missing_journal_is_false(tmp_path: Path) -> None:
    journal = PendingJournal(tmp_path / "sub" / JOURNAL_NAME)
    assert not journal and len(journal) == 0 and journal.entries() == []
    journal.append("op", {})
    assert journal and (tmp_path / "sub" / JOURNAL_NAME).exists()  # its folder is created


def test_a_torn_line_is_set_aside_and_the_rest_still_read(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_NAME
    journal = PendingJournal(path)
    journal.append("call_started", {"number": "1"})
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"op": "call_ended", "args": {"call_\n')  # power cut mid-line
    journal.append("call_started", {"number": "2"})
    assert [args["number"] for _op, args in journal.entries()] == ["1", "2"]
    rejected = journal.rejected_path.read_text(encoding="utf-8").splitlines()
    assert rejected == ['{"op": "call_ended", "args": {"call_']


def test_replace_keeps_only_the_remaining_entries(tmp_path: Path) -> None:
    journal = PendingJournal(tmp_path / JOURNAL_NAME)
    for n in range(3):
        journal.append("op", {"n": n})
    journal.replace(journal.entries()[1:])
    assert journal.entries() == [("op", {"n": 1}), ("op", {"n": 2})]
    assert not journal.path.with_name(JOURNAL_NAME + ".tmp").exists()
    journal.replace([])
    assert not journal.path.exists() and not journal


def test_reject_writes_the_entry_and_the_reason(tmp_path: Path) -> None:
    journal = PendingJournal(tmp_path / JOURNAL_NAME)
    journal.reject("call_ended", {"call_id": 7, "ended_at": T0}, "no such call")
    line = json.loads(journal.rejected_path.read_text(encoding="utf-8"))
    assert line == {"op": "call_ended", "args": {"call_id": 7, "ended_at": {"$dt": T0.isoformat()}},
                    "error": "no such call"}
    assert not journal  # a rejected entry is not pending


def test_pending_ids_are_negative_and_distinct() -> None:
    ids = [new_pending_id() for _ in range(500)]
    assert all(i < 0 for i in ids)
    assert len(set(ids)) == len(ids)
