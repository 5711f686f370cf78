"""crm/stats.py: the statistics arithmetic (answer and missed rates, talk and ring averages,
callback times), the [since, until) boundaries inside an hour, per-agent and per-account
figures, day/week buckets and busiest hours in the user's time zone, and top contacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def call(store: Store, direction: str, at: datetime, *, ring: int, talk: int | None,
         outcome: str = "", number: str = "+74951234567", account: str = "office",
         contact_id: int | None = None) -> int:
    """A call that rang ``ring`` seconds, then talked ``talk`` seconds (None: never answered)."""
    row = store.call_started(direction=direction, account=account, number=number,
                             started_at=at, contact_id=contact_id)
    if talk is None:
        store.call_ended(row, ended_at=at + timedelta(seconds=ring), outcome=outcome or "missed")
    else:
        store.call_answered(row, at + timedelta(seconds=ring))
        store.call_ended(row, ended_at=at + timedelta(seconds=ring + talk), outcome="answered")
    return row


def test_rates_and_averages_count_only_what_they_are_about(store: Store) -> None:
    call(store, "in", T0, ring=5, talk=60)
    call(store, "in", T0 + timedelta(minutes=5), ring=20, talk=None, outcome="missed")
    call(store, "in", T0 + timedelta(minutes=6), ring=30, talk=None, outcome="busy")
    call(store, "out", T0 + timedelta(minutes=10), ring=3, talk=120)
    call(store, "out", T0 + timedelta(minutes=20), ring=40, talk=None, outcome="no_answer")
    st = store.statistics(since=T0, until=T0 + DAY)
    assert (st.calls, st.inbound, st.outbound) == (5, 3, 2)
    assert st.answered == 2
    assert st.missed == 2  # an unanswered outbound call is not a missed call
    assert st.missed_rate == pytest.approx(2 / 3)  # of the inbound calls only
    assert st.total_talk_seconds == 180
    assert st.avg_talk_seconds == pytest.approx(90)
    assert st.avg_ring_seconds == pytest.approx(4)  # unanswered rings do not count


def test_an_empty_period_has_zero_figures_and_one_bucket_per_day(store: Store) -> None:
    midnight = T0.replace(hour=0)
    st = store.statistics(since=midnight, until=midnight + 3 * DAY)
    assert (st.calls, st.answered, st.missed, st.missed_rate) == (0, 0, 0, 0.0)
    assert (st.avg_talk_seconds, st.avg_ring_seconds) == (0.0, 0.0)
    assert st.avg_time_to_callback_seconds is None
    assert [b[1:] for b in st.per_bucket] == [(0, 0, 0, 0)] * 3
    assert st.busiest_hours == [] and st.top_contacts == []
    # a period starting inside a day still shows that day
    assert len(store.statistics(since=T0, until=T0 + 3 * DAY).per_bucket) == 4


def test_since_is_inclusive_and_until_exclusive_inside_an_hour(store: Store) -> None:
    call(store, "in", T0 + timedelta(minutes=10), ring=1, talk=10)
    call(store, "in", T0 + timedelta(minutes=30), ring=1, talk=20)
    call(store, "in", T0 + timedelta(minutes=50), ring=1, talk=40)
    st = store.statistics(since=T0 + timedelta(minutes=30), until=T0 + timedelta(minutes=50))
    assert st.calls == 1 and st.total_talk_seconds == 20


def test_figures_per_agent_and_per_account(store: Store) -> None:
    call(store, "in", T0, ring=1, talk=10, account="office")
    store.set_agent("bob")
    call(store, "in", T0 + timedelta(minutes=1), ring=1, talk=30, account="office")
    call(store, "out", T0 + timedelta(minutes=2), ring=1, talk=50, account="mobile")
    until = T0 + DAY
    assert store.statistics(since=T0, until=until, agent="alice").total_talk_seconds == 10
    assert store.statistics(since=T0, until=until, agent="bob").total_talk_seconds == 80
    assert store.statistics(since=T0, until=until, account="mobile").calls == 1
    assert store.statistics(since=T0, until=until, agent="bob", account="office").calls == 1
    assert store.statistics(since=T0, until=until, agent="carol").calls == 0


def test_days_and_busiest_hours_follow_the_time_zone(store: Store) -> None:
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 01:30 on Tuesday in Moscow
    call(store, "in", late, ring=1, talk=10)
    call(store, "in", late + timedelta(minutes=5), ring=1, talk=None)
    call(store, "in", T0, ring=1, talk=10)  # 12:00 in Moscow
    msk = timezone(timedelta(hours=3))
    since = datetime(2026, 3, 2, tzinfo=msk)
    st = store.statistics(since=since, until=since + 2 * DAY, tz=msk)
    assert [(b[0].day, b[1:]) for b in st.per_bucket] == [(2, (1, 1, 0, 10)),
                                                          (3, (2, 1, 1, 10))]
    assert st.busiest_hours == [(1, 2), (12, 1)]


def test_weeks_start_on_monday(store: Store) -> None:
    call(store, "in", datetime(2026, 3, 8, 12, tzinfo=UTC), ring=1, talk=10)  # Sunday
    call(store, "in", datetime(2026, 3, 9, 12, tzinfo=UTC), ring=1, talk=10)  # Monday
    st = store.statistics(since=datetime(2026, 3, 4, tzinfo=UTC),
                          until=datetime(2026, 3, 12, tzinfo=UTC), bucket="week")
    assert [(b[0].date().isoformat(), b[1]) for b in st.per_bucket] == [
        ("2026-03-02", 1), ("2026-03-09", 1)]
    with pytest.raises(ValueError, match="bucket"):
        store.statistics(since=T0, until=T0 + DAY, bucket="month")


def test_top_contacts_by_calls_then_id_limited(store: Store) -> None:
    ann = store.create_contact("Ann", phones=["+7 495 111-11-11"])
    bob = store.create_contact("Bob", phones=["+7 495 222-22-22"])
    eve = store.create_contact("Eve", phones=["+7 495 333-33-33"])
    for i, who in enumerate([bob, ann, bob, eve, ann]):
        call(store, "in", T0 + timedelta(minutes=i), ring=1, talk=5, contact_id=who.id)
    call(store, "in", T0 + timedelta(minutes=9), ring=1, talk=5, number="+74959999999")
    st = store.statistics(since=T0, until=T0 + DAY, top=2)
    assert st.top_contacts == [(ann.id, "Ann", 2), (bob.id, "Bob", 2)]


def test_time_to_callback_averages_cleared_missed_calls(store: Store) -> None:
    call(store, "in", T0, ring=10, talk=None, number="+74951111111")
    call(store, "out", T0 + timedelta(minutes=2), ring=5, talk=30, number="+74951111111")
    call(store, "in", T0, ring=10, talk=None, number="+74952222222")
    call(store, "out", T0 + timedelta(minutes=10), ring=5, talk=30, number="+74952222222")
    st = store.statistics(since=T0, until=T0 + DAY)
    # the callback is answered 5 s after dialling: 125 s and 605 s after the missed call
    assert st.avg_time_to_callback_seconds == pytest.approx((125 + 605) / 2)
