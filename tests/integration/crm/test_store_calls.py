"""Call log, missed-call inbox, wrap-ups, tasks, deals and statistics (SQLite + PG)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def _call(store: Store, direction: str, number: str, start: datetime, *, ring: int = 5,
          talk: int | None = 60, outcome: str = "answered", account: str = "office") -> int:
    row = store.call_started(direction=direction, account=account, number=number,
                             started_at=start, remote_uri=f"sip:{number}@pbx")
    if talk is not None:
        store.call_answered(row, start + timedelta(seconds=ring))
        store.call_ended(row, ended_at=start + timedelta(seconds=ring + talk), outcome=outcome,
                         sip_status=200)
    else:
        store.call_ended(row, ended_at=start + timedelta(seconds=ring), outcome=outcome,
                         sip_status=487)
    return row


def test_call_row_written_at_start_and_updated_at_answer_and_end(store: Store) -> None:
    ivan = store.create_contact("Иван", phones=["+74951234567"])
    row = store.call_started(direction="in", account="office", number="sip:84951234567@pbx",
                             remote_uri="sip:84951234567@pbx", display_name="IVAN",
                             started_at=T0, sip_call_id="abc@host")
    started = store.get_call(row)
    assert started is not None
    assert started.contact_id == ivan.id and started.contact_name == "Иван"
    assert started.number == "+74951234567" and started.outcome is None
    assert started.agent == "alice" and started.sip_call_id == "abc@host"
    store.call_answered(row, T0 + timedelta(seconds=7))
    ended = store.call_ended(row, ended_at=T0 + timedelta(seconds=97), outcome="answered",
                             sip_status=200, recording_path="/rec/x.wav",
                             quality={"mos": 4.2, "jitter_ms": 3})
    assert ended is not None
    assert ended.ring_seconds == 7 and ended.talk_seconds == 90
    assert ended.quality == {"mos": 4.2, "jitter_ms": 3}
    assert ended.recording_path == "/rec/x.wav" and ended.sip_status == 200
    assert store.get_call(row) == ended


def test_bad_direction_or_outcome_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.call_started(direction="sideways", account="a", number="1", started_at=T0)
    row = store.call_started(direction="in", account="a", number="+74951234567", started_at=T0)
    with pytest.raises(ValueError):
        store.call_ended(row, ended_at=T0, outcome="exploded")


def test_link_call_to_a_contact_added_after_the_call(store: Store) -> None:
    row = _call(store, "in", "+74951110000", T0, talk=None, outcome="missed")
    assert store.get_call(row).contact_id is None  # type: ignore[union-attr]
    c = store.create_contact("New friend", phones=["+74951110000"])
    linked = store.link_call(row, c.id)
    assert linked is not None and linked.contact_name == "New friend"
    assert store.missed_inbox()[0].contact_name == "New friend"


def test_calls_left_open_by_a_crash_are_interrupted_at_next_open(
    backend: str | None, profile_dir: Path
) -> None:
    s = Store.open(backend, profile_dir, "RU", agent="alice")
    open_row = s.call_started(direction="in", account="a", number="+74951234567",
                              started_at=T0)
    s.call_answered(open_row, T0 + timedelta(seconds=3))
    other_agent = Store(s.engine, profile_dir, default_region="RU", agent="bob")
    bobs = other_agent.call_started(direction="out", account="a", number="+74951234567",
                                    started_at=T0)
    s.engine.dispose()  # the app "crashes": no call_ended
    s2 = Store.open(backend, profile_dir, "RU", agent="alice")
    try:
        assert s2.get_call(open_row).outcome == "interrupted"  # type: ignore[union-attr]
        assert s2.get_call(bobs).outcome is None  # another agent's live call is left alone
    finally:
        s2.close()


def test_missed_inbox_one_entry_per_number_cleared_by_a_later_connected_call(
    store: Store,
) -> None:
    store.create_contact("Client", phones=["+74951234567"])
    _call(store, "in", "8 495 123-45-67", T0, ring=20, talk=None, outcome="missed")
    _call(store, "in", "+74951234567", T0 + timedelta(minutes=10), talk=None,
          outcome="no_answer")
    _call(store, "in", "+79160000000", T0 + timedelta(minutes=20), talk=None, outcome="busy")
    _call(store, "in", "anonymous", T0 + timedelta(minutes=25), talk=None, outcome="missed")
    _call(store, "out", "+79990000000", T0 + timedelta(minutes=26), talk=None,
          outcome="no_answer")  # our unanswered outgoing call is not "missed"
    inbox = store.missed_inbox()
    assert [(m.number, m.count) for m in inbox] == [("+79160000000", 1), ("+74951234567", 2)]
    client = inbox[1]
    assert client.contact_name == "Client"
    assert client.first_at == T0 and client.last_at == T0 + timedelta(minutes=10)

    # we call back 1 hour after the first missed call: the entry clears itself
    _call(store, "out", "84951234567", T0 + timedelta(hours=1), ring=10)
    assert [m.number for m in store.missed_inbox()] == ["+79160000000"]
    # the other one calls us again and we answer: cleared as well (either direction)
    _call(store, "in", "+79160000000", T0 + timedelta(hours=2), ring=4)
    assert store.missed_inbox() == []

    stats = store.statistics(since=T0, until=T0 + timedelta(days=1))
    # callbacks: 3600+10 s and (2 h + 4 s - 20 min)
    assert stats.avg_time_to_callback_seconds == pytest.approx((3610 + 6004) / 2)


def test_ignored_numbers_do_not_fill_the_inbox(store: Store) -> None:
    store.ignore_number("+7 800 000 00 00", "spam")
    _call(store, "in", "88000000000", T0, talk=None, outcome="missed")
    assert store.missed_inbox() == []


def test_dismiss_missed(store: Store) -> None:
    _call(store, "in", "+74951234567", T0, talk=None, outcome="missed")
    assert store.dismiss_missed("8 495 123 45 67")
    assert store.missed_inbox() == []


def test_wrapup_upsert_on_every_keystroke(store: Store) -> None:
    row = _call(store, "in", "+74951234567", T0)
    assert store.get_wrapup(row) is None
    for text in ("h", "he", "hel", "hello"):
        w = store.save_wrapup(row, outcome=None, note=text)
    assert w.note == "hello" and w.author == "alice"
    w = store.save_wrapup(row, outcome="sale", reason="price ok", note="hello", author="bob")
    assert store.get_wrapup(row) == w
    assert store.get_call(row).wrapup == w  # type: ignore[union-attr]


def test_list_calls_filters(store: Store) -> None:
    c = store.create_contact("Мария Сидорова", phones=["+74951234567"])
    a = _call(store, "in", "+74951234567", T0)
    b = _call(store, "out", "+79160000000", T0 + timedelta(hours=1))
    m = _call(store, "in", "+79160000001", T0 + timedelta(hours=2), talk=None, outcome="missed")
    assert [x.id for x in store.list_calls()] == [m, b, a]
    assert [x.id for x in store.list_calls(direction="out")] == [b]
    assert [x.id for x in store.list_calls(outcome="missed")] == [m]
    assert [x.id for x in store.list_calls(contact_id=c.id)] == [a]
    assert [x.id for x in store.list_calls(query="мария")] == [a]
    assert [x.id for x in store.list_calls(query="9160000")] == [m, b]
    assert [x.id for x in store.list_calls(since=T0 + timedelta(minutes=30))] == [m, b]
    assert len(store.list_calls(limit=1)) == 1


def test_tasks(store: Store) -> None:
    c = store.create_contact("T", phones=["+74951234567"])
    row = _call(store, "in", "+74951234567", T0)
    t1 = store.add_task(kind="call_back", title="Call back about invoice",
                        due_at=T0 + timedelta(days=1), contact_id=c.id, call_id=row,
                        number="+74951234567")
    t2 = store.add_task(kind="meeting", title="Demo", due_at=T0 + timedelta(days=3))
    t3 = store.add_task(kind="todo", title="Someday", due_at=None)
    assert [t.id for t in store.open_tasks()] == [t1.id, t2.id, t3.id]
    assert [t.id for t in store.open_tasks(contact_id=c.id)] == [t1.id]
    assert [t.id for t in store.open_tasks(due_before=T0 + timedelta(days=2))] == [t1.id]
    done = store.complete_task(t1.id)
    assert done.done and done.done_at is not None
    assert [t.id for t in store.open_tasks()] == [t2.id, t3.id]
    with pytest.raises(ValueError):
        store.add_task(kind="party", title="x", due_at=None)


def test_deals(store: Store) -> None:
    c = store.create_contact("D", company="Acme", phones=["+74951234567"])
    d1 = store.add_deal(title="Licenses", amount=Decimal("1200.50"), contact_id=c.id)
    d2 = store.add_deal(title="Support", stage="won", company_id=c.company_id)
    assert d1.amount == Decimal("1200.50") and d1.stage == "new"
    assert store.deals(contact_id=c.id) == [d1]
    assert store.deals(company_id=c.company_id) == [d2]
    moved = store.update_deal(d1.id, stage="proposal")
    assert moved.stage == "proposal"
    with pytest.raises(ValueError):
        store.add_deal(title="orphan")


def test_statistics_per_day_account_agent_hours_and_contacts(store: Store) -> None:
    anna = store.create_contact("Анна", phones=["+74951111111"])
    boris = store.create_contact("Борис", phones=["+74952222222"])
    # Monday: 3 answered (ring 5, 10, 15; talk 60, 120, 180), 1 missed
    _call(store, "in", "+74951111111", T0, ring=5, talk=60)
    _call(store, "in", "+74951111111", T0 + timedelta(hours=1), ring=10, talk=120)
    _call(store, "out", "+74952222222", T0 + timedelta(hours=1, minutes=5), ring=15, talk=180,
          account="sales")
    _call(store, "in", "+74953333333", T0 + timedelta(hours=1, minutes=10), ring=30,
          talk=None, outcome="missed")
    # Wednesday: 1 missed, 1 answered
    wed = T0 + timedelta(days=2)
    _call(store, "in", "+74951111111", wed, talk=None, outcome="no_answer")
    _call(store, "in", "+74951111111", wed + timedelta(minutes=30), ring=2, talk=30)
    # outside the window
    _call(store, "in", "+74951111111", T0 - timedelta(days=1))

    day0 = T0.replace(hour=0)
    s = store.statistics(since=day0, until=day0 + timedelta(days=7))
    assert (s.calls, s.answered, s.missed) == (6, 4, 2)
    assert s.inbound == 5 and s.outbound == 1
    assert s.missed_rate == pytest.approx(2 / 5)
    assert s.total_talk_seconds == 60 + 120 + 180 + 30
    assert s.avg_talk_seconds == pytest.approx(390 / 4)
    assert s.avg_ring_seconds == pytest.approx((5 + 10 + 15 + 2) / 4)
    assert len(s.per_bucket) == 7
    assert s.per_bucket[0] == (T0.replace(hour=0), 4, 3, 1, 360)
    assert s.per_bucket[2][1:] == (2, 1, 1, 30)
    assert s.busiest_hours[:2] == [(9, 3), (10, 3)]
    assert s.top_contacts[0] == (anna.id, "Анна", 4)
    assert s.top_contacts[1] == (boris.id, "Борис", 1)

    week = store.statistics(since=day0, until=day0 + timedelta(days=14), bucket="week")
    assert [b[1] for b in week.per_bucket] == [6, 0]
    sales = store.statistics(since=T0, until=T0 + timedelta(days=7), account="sales")
    assert (sales.calls, sales.answered, sales.total_talk_seconds) == (1, 1, 180)
    assert store.statistics(since=T0, until=T0 + timedelta(days=7), agent="alice").calls == 6
    assert store.statistics(since=T0, until=T0 + timedelta(days=7), agent="bob").calls == 0

    moscow = store.statistics(since=T0, until=T0 + timedelta(days=1),
                              tz=ZoneInfo("Europe/Moscow"))
    assert moscow.busiest_hours == [(13, 3), (12, 1)]  # 10:00 UTC is 13:00 in Moscow


def test_empty_statistics(store: Store) -> None:
    s = store.statistics(since=T0, until=T0 + timedelta(days=1))
    assert s.calls == 0 and s.missed_rate == 0.0 and s.avg_time_to_callback_seconds is None
    assert s.top_contacts == [] and s.busiest_hours == []


def test_statistics_ranges_that_do_not_start_on_a_full_hour(store: Store) -> None:
    for minute in (5, 25, 35, 55):
        _call(store, "in", "+74951234567", T0 + timedelta(minutes=minute))
    _call(store, "in", "+74951234567", T0 + timedelta(hours=1, minutes=5))
    since = T0 + timedelta(minutes=30)
    assert store.statistics(since=since, until=since + timedelta(hours=1)).calls == 3
    assert store.statistics(since=T0, until=since).calls == 2
    assert store.statistics(since=since, until=since + timedelta(minutes=10)).calls == 1
