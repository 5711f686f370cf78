"""crm/store_calls.py: the call log's own rules: ring and talk seconds, which calls land in the
missed-call inbox and which callback clears it, list filters (missed, any spelling of a number,
wrap-up words), wrap-ups replaced in place, calls a crash left open, and pending ids that keep
working while the database refuses writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.errors import NotFoundError
from softphone.crm.store import Store
from softphone.crm.store_calls import iter_chunks
from softphone.profile import database_file

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANN = "+74951234567"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def start(store: Store, number: str = ANN, direction: str = "in",
          at: datetime = T0, **kw: object) -> int:
    return store.call_started(direction=direction, account="office", number=number,
                              started_at=at, **kw)  # type: ignore[arg-type]


def test_bad_direction_or_outcome_is_refused_with_the_choices(store: Store) -> None:
    with pytest.raises(ValueError, match="'in' or 'out'"):
        start(store, direction="inbound")
    row = start(store)
    with pytest.raises(ValueError, match="answered"):
        store.call_ended(row, ended_at=T0, outcome="hung up")
    assert store.list_calls() and store.get_call(row).outcome is None  # type: ignore[union-attr]


def test_ring_and_talk_seconds(store: Store) -> None:
    row = start(store)
    store.call_answered(row, T0 + timedelta(seconds=7))
    view = store.call_ended(row, ended_at=T0 + timedelta(seconds=97), outcome="answered",
                            sip_status=200, reason="x" * 400)
    assert view is not None and (view.ring_seconds, view.talk_seconds) == (7, 90)
    assert view.end_reason == "x" * 300  # a long reason is cut, not refused
    unanswered = start(store, at=T0 + timedelta(minutes=5))
    view = store.call_ended(unanswered, ended_at=T0 + timedelta(minutes=5, seconds=25),
                            outcome="no_answer")
    assert view is not None and (view.ring_seconds, view.talk_seconds) == (25, 0)


def miss(store: Store, number: str = ANN, at: datetime = T0, outcome: str = "missed") -> int:
    row = start(store, number, at=at)
    store.call_ended(row, ended_at=at + timedelta(seconds=20), outcome=outcome)
    return row


def test_missed_inbound_calls_gather_in_one_entry_per_number(store: Store) -> None:
    miss(store, "+7 495 123-45-67")
    miss(store, "8 (495) 123 45 67", at=T0 + timedelta(minutes=3), outcome="busy")
    miss(store, "+74950000000", outcome="rejected")  # rejected by the agent: not missed
    out = start(store, "+74959999999", direction="out")
    store.call_ended(out, ended_at=T0 + timedelta(seconds=30), outcome="no_answer")
    inbox = store.missed_inbox()
    assert [(m.number, m.count, m.first_at, m.last_at) for m in inbox] == [
        (ANN, 2, T0, T0 + timedelta(minutes=3))]


def test_an_answered_callback_clears_the_entry_and_a_later_miss_opens_a_new_one(
        store: Store) -> None:
    miss(store)
    back = start(store, direction="out", at=T0 + timedelta(minutes=10))
    store.call_answered(back, T0 + timedelta(minutes=10, seconds=5))
    assert store.missed_inbox() == []
    miss(store, at=T0 + timedelta(hours=1))
    assert [m.count for m in store.missed_inbox()] == [1]


def test_ignored_numbers_do_not_reach_the_inbox(store: Store) -> None:
    store.ignore_number("8 495 123 45 67", "spam")
    miss(store)
    assert store.missed_inbox() == []


def test_dismissing_an_entry_by_any_spelling(store: Store) -> None:
    miss(store)
    assert store.dismiss_missed("8 495 123-45-67") is True
    assert store.missed_inbox() == [] and store.dismiss_missed(ANN) is False


def test_linking_a_call_moves_its_inbox_entry_too(store: Store) -> None:
    row = miss(store, "+74957777777")
    ann = store.create_contact("Ann")
    view = store.link_call(row, ann.id)
    assert view is not None and view.contact_name == "Ann"
    assert store.missed_inbox()[0].contact_name == "Ann"
    with pytest.raises(NotFoundError):
        store.link_call(row, ann.id + 100)
    with pytest.raises(NotFoundError):
        store.link_call(12345, ann.id)


def test_list_filters(store: Store) -> None:
    ann = store.create_contact("Ann Petrova", phones=[ANN])
    answered = start(store)
    store.call_answered(answered, T0 + timedelta(seconds=2))
    store.call_ended(answered, ended_at=T0 + timedelta(seconds=60), outcome="answered")
    busy = miss(store, at=T0 + timedelta(minutes=1), outcome="busy")
    other = miss(store, "+74950000001", at=T0 + timedelta(minutes=2))
    out = start(store, "+74950000002", direction="out", at=T0 + timedelta(minutes=3))
    store.call_ended(out, ended_at=T0 + timedelta(minutes=4), outcome="busy")
    store.save_wrapup(other, outcome="callback", note="Wants the PRICE list")

    def ids(**kw: object) -> list[int]:
        return [c.id for c in store.list_calls(**kw)]  # type: ignore[arg-type]

    assert ids() == [out, other, busy, answered]  # newest first
    assert ids(outcome="missed") == [other, busy]  # inbound only
    assert ids(outcome="busy") == [out, busy]
    assert ids(number="8 495 123-45-67") == [busy, answered]
    assert ids(contact_id=ann.id) == [busy, answered]
    assert ids(query="price") == [other]  # the wrap-up's words, any case
    assert ids(query="Petrova") == [busy, answered]
    assert ids(query="0000001") == [other]
    assert ids(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3)) == [other, busy]
    assert ids(direction="out") == [out]
    assert ids(limit=1) == [out]
    assert ids(number="anonymous") == []


def test_a_wrapup_is_replaced_not_duplicated(store: Store) -> None:
    row = start(store)
    store.save_wrapup(row, outcome="deal", note="first")
    saved = store.save_wrapup(row, outcome="lost", reason="price", note="second")
    assert (saved.outcome, saved.reason, saved.note, saved.author) == (
        "lost", "price", "second", "alice")
    assert store.get_wrapup(row) == saved
    assert store.get_wrapup(999) is None
    with pytest.raises(NotFoundError):
        store.save_wrapup(999, outcome="deal")


def test_calls_a_crash_left_open_are_closed_for_this_agent_only(tmp_path: Path) -> None:
    with Store.open(None, tmp_path, "RU", agent="alice") as s:
        mine = start(s)
    with Store.open(None, tmp_path, "RU", agent="bob") as s:
        bobs = start(s, at=T0 + timedelta(minutes=1))
    with Store.open(None, tmp_path, "RU", agent="alice") as s:
        assert s.get_call(mine).outcome == "interrupted"  # type: ignore[union-attr]
        assert s.get_call(bobs).outcome is None  # type: ignore[union-attr]
        assert s.call_log.close_interrupted_calls() == 0


def test_pending_ids_work_while_the_database_refuses_writes(tmp_path: Path) -> None:
    with Store.open(None, tmp_path, "RU", agent="alice", busy_timeout_ms=50) as s:
        holder = sqlite3.connect(database_file(tmp_path), isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            row = start(s)
            assert row < 0
            assert s.call_answered(row, T0 + timedelta(seconds=3)) is None
            assert s.call_ended(row, ended_at=T0 + timedelta(seconds=33),
                                outcome="answered") is None
            note = s.save_wrapup(row, outcome="deal", note="while locked")
            assert (note.call_id, note.note) == (row, "while locked")
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        assert s.flush_pending() == 4
        view = s.get_call(row)  # the pending id finds the row written later
        assert view is not None and view.id > 0
        assert (view.ring_seconds, view.talk_seconds) == (3, 30)
        assert s.get_wrapup(row).note == "while locked"  # type: ignore[union-attr]


def test_iter_chunks() -> None:
    assert list(iter_chunks(list(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(iter_chunks([], 3)) == []
