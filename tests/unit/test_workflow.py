"""The call workflow with a small fake store and engine (the real ones: tests/ui)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from softphone.sip.events import (
    CallQuality,
    CallRejectedByRule,
    CallState,
    CallStateChanged,
    Direction,
    IncomingCall,
)
from softphone.workflow import (
    CallWorkflow,
    SyncDbRunner,
    WorkflowUpdate,
    call_outcome,
    due_in_days,
)


@dataclass(frozen=True)
class FakeContact:
    id: int
    name: str
    company_id: int | None = None


@dataclass(frozen=True)
class FakeMatch:
    contact: FakeContact | None
    company: Any = None
    people: list[Any] = field(default_factory=list)
    matched_by: str = "none"
    number: str | None = None
    ignored: str | None = None


@dataclass(frozen=True)
class FakeCall:
    id: int


class FakeStore:
    def __init__(self) -> None:
        self.contacts: dict[int, FakeContact] = {1: FakeContact(1, "Ann Lee")}
        self.numbers = {"+15550001": 1}
        self.calls: dict[int, dict[str, Any]] = {}
        self.tasks: list[dict[str, Any]] = []
        self.wrapups: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)

    def lookup(self, number: str) -> FakeMatch:
        cid = self.numbers.get(number)
        return FakeMatch(self.contacts[cid] if cid else None,
                         matched_by="e164" if cid else "none")

    def get_contact(self, cid: int) -> FakeContact:
        return self.contacts[cid]

    def open_tasks(self, contact_id: int | None = None) -> list[Any]:
        return [t for t in self.tasks if t["contact_id"] == contact_id]

    def deals(self, contact_id: int | None = None) -> list[Any]:
        return []

    def list_calls(self, **kw: Any) -> list[FakeCall]:
        return [FakeCall(i) for i in sorted(self.calls, reverse=True)]

    def call_started(self, **kw: Any) -> int:
        row = next(self.ids)
        self.calls[row] = dict(kw)
        return row

    def call_answered(self, row: int, at: datetime) -> None:
        self.calls[row]["answered_at"] = at

    def call_ended(self, row: int, **kw: Any) -> None:
        self.calls[row].update(kw)

    def save_wrapup(self, row: int, **kw: Any) -> dict[str, Any]:
        self.wrapups[row] = kw
        return kw

    def add_task(self, **kw: Any) -> dict[str, Any]:
        self.tasks.append(kw)
        return kw

    def create_contact(self, name: str, **kw: Any) -> FakeContact:
        cid = max(self.contacts) + 1
        self.contacts[cid] = FakeContact(cid, name)
        for raw, _label in kw.get("phones", []):
            self.numbers[raw] = cid
        return self.contacts[cid]

    def link_call(self, row: int, contact_id: int) -> None:
        self.calls[row]["contact_id"] = contact_id


class FakeEngine:
    def __init__(self) -> None:
        self.commands: list[tuple[Any, ...]] = []

    def dial(self, target: str, account: str | None = None) -> int:
        self.commands.append(("dial", target))
        return 7

    def reject(self, call_id: int, code: int = 486) -> None:
        self.commands.append(("reject", call_id, code))

    def answer(self, call_id: int) -> None:
        self.commands.append(("answer", call_id))

    def hangup(self, call_id: int) -> None:
        self.commands.append(("hangup", call_id))


T0 = 1_700_000_000.0


def state(call_id: int, st: CallState, at: float, *, direction: Direction = Direction.INCOMING,
          code: int = 0, local: bool = False, number: str = "+15550001") -> CallStateChanged:
    return CallStateChanged(at=at, call_id=call_id, account="LAN", direction=direction, state=st,
                            remote_uri=f"sip:{number}@host", display_name="", number=number,
                            code=code, local_hangup=local)


@pytest.fixture
def setup() -> tuple[CallWorkflow, FakeStore, FakeEngine, list[WorkflowUpdate]]:
    store = FakeStore()
    engine = FakeEngine()
    updates: list[WorkflowUpdate] = []
    wf = CallWorkflow(SyncDbRunner(store), updates.append, engine=engine, agent="me")
    return wf, store, engine, updates


@pytest.mark.parametrize(("direction", "answered", "code", "local", "ours", "want"), [
    ("in", True, 200, False, False, "answered"),
    ("in", False, 487, False, False, "missed"),
    ("in", False, 486, True, True, "rejected"),
    ("in", False, 603, True, False, "rejected"),
    ("out", True, 200, True, False, "answered"),
    ("out", False, 486, False, False, "busy"),
    ("out", False, 408, False, False, "no_answer"),
    ("out", False, 480, False, False, "no_answer"),
    ("out", False, 487, True, False, "no_answer"),
    ("out", False, 404, False, False, "failed"),
    ("out", False, 503, False, False, "failed"),
    ("out", False, 606, False, False, "failed"),
])
def test_outcome_mapping(direction: str, answered: bool, code: int, local: bool, ours: bool,
                         want: str) -> None:
    assert call_outcome(direction, answered, code, local, ours) == want


def test_incoming_answered_call_is_logged_and_offers_wrapup(setup: Any) -> None:
    wf, store, _engine, updates = setup
    wf.on_sip_event(IncomingCall(at=T0, call_id=3, account="LAN", remote_uri="sip:x@h",
                                 display_name="X", number="+15550001"))
    kinds = [u.kind for u in updates]
    assert kinds == ["call", "caller"]
    assert updates[1].call is not None and updates[1].call.title == "Ann Lee"
    assert store.calls[1]["contact_id"] == 1 and store.calls[1]["direction"] == "in"
    wf.on_sip_event(state(3, CallState.CONFIRMED, T0 + 5))
    assert store.calls[1]["answered_at"] == datetime.fromtimestamp(T0 + 5, UTC)
    wf.on_sip_event(CallQuality(at=T0 + 6, call_id=3, codec="PCMU", jitter_ms=4.0))
    wf.on_sip_event(state(3, CallState.DISCONNECTED, T0 + 65, code=200))
    ended = next(u for u in updates if u.kind == "ended")
    assert ended.wrapup and ended.call is not None and ended.call.outcome == "answered"
    assert store.calls[1]["outcome"] == "answered"
    assert store.calls[1]["quality"]["codec"] == "PCMU"
    assert wf.calls() == []

    wf.save_wrapup(call_id=3, outcome="Interested", reason="", note="wants a quote")
    due = due_in_days(1)
    wf.add_next_action("call_back", "Call back", due, call_id=3)
    assert store.wrapups[1]["note"] == "wants a quote"
    assert store.tasks[0]["call_id"] == 1 and store.tasks[0]["contact_id"] == 1
    assert store.tasks[0]["due_at"] == due


def test_missed_and_rejected(setup: Any) -> None:
    wf, store, engine, updates = setup
    wf.on_sip_event(IncomingCall(at=T0, call_id=1, account="LAN", remote_uri="sip:9@h",
                                 display_name="", number="999"))
    wf.on_sip_event(state(1, CallState.DISCONNECTED, T0 + 9, code=487, number="999"))
    assert store.calls[1]["outcome"] == "missed"
    assert not next(u for u in updates if u.kind == "ended").wrapup
    wf.on_sip_event(IncomingCall(at=T0, call_id=2, account="LAN", remote_uri="sip:9@h",
                                 display_name="", number="999"))
    wf.reject(2)
    assert engine.commands[-1] == ("reject", 2, 486)
    wf.on_sip_event(state(2, CallState.DISCONNECTED, T0 + 3, code=486, number="999"))
    assert store.calls[2]["outcome"] == "rejected"


def test_dial_links_the_chosen_contact(setup: Any) -> None:
    wf, store, engine, updates = setup
    call_id = wf.dial("sip:ann@10.0.0.2", contact_id=1)
    assert engine.commands == [("dial", "sip:ann@10.0.0.2")]
    wf.on_sip_event(state(call_id, CallState.CALLING, T0, direction=Direction.OUTGOING,
                          number="ann"))
    assert store.calls[1]["contact_id"] == 1 and store.calls[1]["direction"] == "out"
    wf.on_sip_event(state(call_id, CallState.DISCONNECTED, T0 + 4, direction=Direction.OUTGOING,
                          code=486, number="ann"))
    assert store.calls[1]["outcome"] == "busy"
    assert next(u for u in updates if u.kind == "ended").wrapup


def test_unknown_caller_contact_created_and_call_linked(setup: Any) -> None:
    wf, store, _engine, updates = setup
    wf.on_sip_event(IncomingCall(at=T0, call_id=4, account="LAN", remote_uri="sip:5@h",
                                 display_name="", number="+15559999"))
    caller = next(u for u in updates if u.kind == "caller").call
    assert caller is not None and caller.caller is not None and not caller.caller.known
    made: list[Any] = []
    wf.create_contact_for_call(4, "New Person", on_done=made.append)
    assert made[0].name == "New Person"
    assert store.calls[1]["contact_id"] == made[0].id
    assert updates[-2].kind == "caller" and updates[-2].call.title == "New Person"


def test_dnd_rejection_is_logged_as_missed(setup: Any) -> None:
    wf, store, _engine, _updates = setup
    wf.on_sip_event(CallRejectedByRule(at=T0, account="LAN", remote_uri="sip:1@h",
                                       display_name="", number="+15550001", code=486,
                                       rule="dnd"))
    assert store.calls[1]["outcome"] == "missed" and store.calls[1]["contact_id"] == 1


def test_db_errors_become_error_updates(setup: Any) -> None:
    wf, store, _engine, updates = setup

    def broken(**kw: Any) -> int:
        raise RuntimeError("disk on fire")

    store.call_started = broken  # type: ignore[method-assign]
    wf.on_sip_event(IncomingCall(at=T0, call_id=5, account="LAN", remote_uri="sip:1@h",
                                 display_name="", number="1"))
    assert updates[-1].kind == "error" and "disk on fire" in updates[-1].message
    wf.on_sip_event(state(5, CallState.DISCONNECTED, T0 + 1, code=487, number="1"))
    assert [u.kind for u in updates].count("ended") == 1


def test_due_in_days_is_utc_and_in_the_future() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    due = due_in_days(3, now)
    assert due.tzinfo is not None and due - now > timedelta(days=2)
