"""Call events fan out to every target that wants them, on disk before the worker is woken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from softphone.integrations.call_events import CallEventPublisher, call_dict
from softphone.integrations.outbox import Outbox


class Target:
    def __init__(self, name: str, per_event: dict[str, int]) -> None:
        self.name = name
        self.per_event = per_event

    def operations(self, kind: str, call: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [(f"{kind}.{n}", {"call": call["id"]}) for n in range(self.per_event.get(kind, 0))]


def test_each_targets_operations_are_queued_in_order_then_the_worker_woken(
        tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    woken: list[int] = []
    try:
        publisher = CallEventPublisher(
            box, [Target("a", {"ended": 2}), Target("b", {"ended": 1, "ringing": 1})],
            wake=lambda: woken.append(box.pending_count()))
        assert publisher.publish("ended", {"id": 7}) == 3
        assert woken == [3]  # on disk before the wake
        assert [(e.target, e.kind) for e in reversed(box.events())] == [
            ("a", "ended.0"), ("a", "ended.1"), ("b", "ended.0")]
        assert box.head("a") is not None and box.head("a").payload == {"call": 7}  # type: ignore[union-attr]
    finally:
        box.close()


def test_an_event_no_target_wants_queues_nothing_and_wakes_nobody(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    woken: list[bool] = []
    try:
        publisher = CallEventPublisher(box, [Target("a", {"ended": 1})],
                                       wake=lambda: woken.append(True))
        assert publisher.publish("answered", {"id": 7}) == 0
        assert woken == [] and box.pending_count() == 0
    finally:
        box.close()


def test_a_dict_is_taken_as_is() -> None:
    call = {"id": 1, "number": "+1"}
    assert call_dict(call) is call


def test_a_call_view_is_queued_as_calls_list_json_shows_it(tmp_path: Path) -> None:
    @dataclass(frozen=True)
    class CallView:
        id: int
        started_at: datetime
        recording_path: Path | None
        tags: tuple[str, ...]

    view = CallView(3, datetime(2026, 11, 2, 10, 15, tzinfo=UTC), tmp_path / "r.wav", ("vip",))
    assert call_dict(view) == {"id": 3, "started_at": "2026-11-02T10:15:00+00:00",
                               "recording_path": str(tmp_path / "r.wav"), "tags": ["vip"]}
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        CallEventPublisher(box, [Target("a", {"ended": 1})]).publish("ended", view)
        head = box.head("a")
        assert head is not None and head.payload == {"call": 3}
    finally:
        box.close()
