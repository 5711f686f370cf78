"""The outbox's own rules, on a real SQLite file: order per target, back-off schedule, a
refused event set aside, nothing dropped for a target that is off, events surviving a reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.integrations.outbox import (
    DELIVERED,
    PENDING,
    REFUSED,
    Outbox,
    OutboxEvent,
    OutboxWorker,
    Refused,
    RetryLater,
    TargetStatus,
    backoff,
)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorder:
    """A sender that records what it got and fails as told (one outcome per call)."""

    def __init__(self, outcomes: list[Exception | None] | None = None) -> None:
        self.outcomes = list(outcomes or [])
        self.sent: list[OutboxEvent] = []

    def send(self, event: OutboxEvent, outbox: Outbox) -> None:
        self.sent.append(event)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    box = Outbox.in_profile(tmp_path / "profile")
    yield box
    box.close()


def test_backoff_doubles_from_initial_and_is_capped() -> None:
    assert [backoff(n, 5, 60) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff(0, 5, 60) == 5
    assert backoff(10_000, 5, 600) == 600  # no overflow for a receiver down for days


def test_events_survive_a_reopen_with_ids_order_and_payload(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    first = box.add("hooks", "ringing", {"call": {"number": "+7 999", "name": "Иван"}}, now=1.0)
    second = box.add("hooks", "ended", {"n": 2}, now=2.0)
    box.close()
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        head = box.head("hooks")
        assert head is not None and head.event_id == first
        assert head.payload == {"call": {"number": "+7 999", "name": "Иван"}}
        assert [e.event_id for e in box.events("hooks")] == [second, first]  # newest first
        assert box.pending_count() == 2 and box.pending_targets() == ["hooks"]
    finally:
        box.close()


def test_an_event_id_is_never_queued_twice(outbox: Outbox) -> None:
    outbox.add("hooks", "ended", {}, event_id="same")
    with pytest.raises(Exception, match="UNIQUE"):
        outbox.add("hooks", "ended", {}, event_id="same")
    assert outbox.pending_count("hooks") == 1


def test_events_are_delivered_in_order_per_target(outbox: Outbox) -> None:
    clock = Clock()
    for n in range(3):
        outbox.add("a", "e", {"n": n}, now=clock.now)
        outbox.add("b", "e", {"n": n}, now=clock.now)
    a, b = Recorder(), Recorder()
    worker = OutboxWorker(outbox, {"a": a, "b": b}, clock=clock)
    assert worker.run_once() is None  # nothing left
    assert [e.payload["n"] for e in a.sent] == [0, 1, 2]
    assert [e.payload["n"] for e in b.sent] == [0, 1, 2]
    assert outbox.pending_count() == 0
    assert {e.state for e in outbox.events()} == {DELIVERED}


def test_a_failure_keeps_the_event_at_the_head_and_retries_after_the_backoff(
        outbox: Outbox) -> None:
    clock = Clock()
    first = outbox.add("a", "e", {"n": 1}, now=clock.now)
    outbox.add("a", "e", {"n": 2}, now=clock.now)
    statuses: list[TargetStatus] = []
    sender = Recorder([RetryLater("HTTP 503"), RetryLater("HTTP 503")])
    worker = OutboxWorker(outbox, {"a": sender}, retry_initial=5, retry_max=600,
                          on_status=statuses.append, clock=clock)

    assert worker.run_once() == pytest.approx(5)  # first failure: wait retry_initial
    assert [e.event_id for e in sender.sent] == [first]  # the second was not sent past it
    head = outbox.head("a")
    assert head is not None and head.event_id == first
    assert head.attempts == 1 and head.last_error == "HTTP 503"
    assert statuses[-1] == TargetStatus("a", 2, 1000.0, "HTTP 503")

    clock.now += 4.9
    assert worker.run_once() == pytest.approx(0.1)  # not due yet: nothing sent
    assert len(sender.sent) == 1

    clock.now += 0.1
    assert worker.run_once() == pytest.approx(10)  # second failure: doubled
    clock.now += 10
    assert worker.run_once() is None  # now both go, in order
    assert [e.payload["n"] for e in sender.sent] == [1, 1, 1, 2]
    assert sender.sent[-2].attempts == 2  # the sender sees how often it was tried
    # the recovery is reported once, when the head that kept failing got through
    assert statuses[-1] == TargetStatus("a", 1, None, "")


def test_an_unexpected_sender_error_is_retried_with_its_type_in_the_reason(
        outbox: Outbox) -> None:
    outbox.add("a", "e", {}, now=1000.0)
    worker = OutboxWorker(outbox, {"a": Recorder([ValueError("bad")])}, clock=Clock())
    worker.run_once()
    head = outbox.head("a")
    assert head is not None and head.last_error == "ValueError: bad"


def test_a_refused_event_is_set_aside_and_the_next_goes(outbox: Outbox) -> None:
    clock = Clock()
    refused = outbox.add("a", "e", {"n": 1}, now=clock.now)
    outbox.add("a", "e", {"n": 2}, now=clock.now)
    sender = Recorder([Refused("400: no such field")])
    assert OutboxWorker(outbox, {"a": sender}, clock=clock).run_once() is None
    assert [e.payload["n"] for e in sender.sent] == [1, 2]
    (aside,) = outbox.events("a", REFUSED)
    assert aside.event_id == refused and aside.last_error == "400: no such field"


def test_events_of_a_target_that_is_off_wait_and_are_never_dropped(outbox: Outbox) -> None:
    outbox.add("off", "e", {}, now=1000.0)
    assert OutboxWorker(outbox, {}, clock=Clock()).run_once() is None
    assert outbox.pending_count("off") == 1
    sender = Recorder()
    OutboxWorker(outbox, {"off": sender}, clock=Clock()).run_once()
    assert len(sender.sent) == 1 and outbox.pending_count() == 0


def test_prune_forgets_only_finished_events_older_than_the_limit(outbox: Outbox) -> None:
    day = 86400.0
    old = outbox.add("a", "e", {}, now=0.0)
    recent = outbox.add("a", "e", {}, now=0.0)
    pending = outbox.add("a", "e", {}, now=0.0)
    refused = outbox.add("a", "e", {}, now=0.0)
    seqs = {e.event_id: e.seq for e in outbox.events()}
    outbox.mark_delivered(seqs[old], now=1 * day)
    outbox.mark_delivered(seqs[recent], now=9 * day)
    outbox.mark_refused(seqs[refused], "no", now=1 * day)
    assert outbox.prune(7, now=10 * day) == 2
    assert {e.event_id: e.state for e in outbox.events()} == {recent: DELIVERED,
                                                              pending: PENDING}


def test_errors_are_stored_truncated(outbox: Outbox) -> None:
    outbox.add("a", "e", {})
    (event,) = outbox.events()
    outbox.mark_failed(event.seq, "x" * 2000, next_at=0)
    head = outbox.head("a")
    assert head is not None and len(head.last_error) == 500


def test_target_state_is_remembered_per_target_and_overwritten(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    box.remember("bitrix24", "call:1", "A")
    box.remember("bitrix24", "call:1", "B")
    box.remember("other", "call:1", "C")
    box.close()
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        assert box.recall("bitrix24", "call:1") == "B"
        assert box.recall("other", "call:1") == "C"
        assert box.recall("bitrix24", "call:2") is None
    finally:
        box.close()


def test_the_worker_thread_delivers_on_wake_and_stops(outbox: Outbox) -> None:
    import threading

    delivered = threading.Event()

    class Signal(Recorder):
        def send(self, event: OutboxEvent, box: Outbox) -> None:
            super().send(event, box)
            delivered.set()

    worker = OutboxWorker(outbox, {"a": Signal()}, keep_days=0)
    worker.start()
    try:
        outbox.add("a", "e", {})
        worker.wake()
        assert delivered.wait(10)
    finally:
        worker.stop()
    assert not worker.running
