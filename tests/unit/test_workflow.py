"""The call workflow with a small fake store and engine (the real ones: tests/ui)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from softphone.crm.views import (
    CallView,
    ContactView,
    DealView,
    IgnoredView,
    Match,
    TaskView,
    WrapupView,
)
from softphone.sip.events import (
    CallQuality,
    CallRejectedByRule,
    CallState,
    CallStateChanged,
    Direction,
    IncomingCall,
)
from softphone.workflow import CallWorkflow, call_outcome, due_in_days
from softphone.workflow_ports import SyncDbRunner
from softphone.workflow_updates import (
    CallChanged,
    CallEnded,
    CallerFound,
    DataChanged,
    WorkflowError,
    WorkflowUpdate,
)

T_ZERO = datetime(2026, 1, 1, tzinfo=UTC)


def contact(cid: int, name: str, company_id: int | None = None) -> ContactView:
    return ContactView(id=cid, name=name, company=None, company_id=company_id, position=None,
                       phones=(), emails=(), tags=(), notes="", do_not_call=False,
                       created_at=T_ZERO, updated_at=T_ZERO, version=1)


def call_view(row: int, fields: dict[str, Any]) -> CallView:
    return CallView(id=row, direction=fields.get("direction", "in"),
                    account=fields.get("account", ""), number=fields.get("number", ""),
                    remote_uri=fields.get("remote_uri", ""),
                    display_name=fields.get("display_name", ""),
                    contact_id=fields.get("contact_id"), contact_name=None,
                    started_at=fields.get("started_at", T_ZERO),
                    answered_at=fields.get("answered_at"), ended_at=fields.get("ended_at"),
                    talk_seconds=None, ring_seconds=None, outcome=fields.get("outcome"),
                    sip_status=fields.get("sip_status"), recording_path=None, quality=None,
                    agent=None, wrapup=None)


class FakeStore:
    """The workflow's CallStore with explicit signatures (tests/unit/test_workflow_ports.py
    keeps them equal to the protocol's), keeping what it is given in dicts."""

    def __init__(self) -> None:
        self.contacts: dict[int, ContactView] = {1: contact(1, "Ann Lee")}
        self.numbers = {"+15550001": 1}
        self.calls: dict[int, dict[str, Any]] = {}
        self.tasks: list[dict[str, Any]] = []
        self.wrapups: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.loads = 0

    def lookup(self, number_or_uri: str) -> Match:
        cid = self.numbers.get(number_or_uri)
        return Match(self.contacts[cid] if cid else None, matched_by="e164" if cid else "none")

    def get_contact(self, contact_id: int) -> ContactView | None:
        return self.contacts.get(contact_id)

    def open_tasks(self, contact_id: int | None = None,
                   due_before: datetime | None = None) -> list[TaskView]:
        return [TaskView(id=i, kind=t["kind"], title=t["title"], due_at=t["due_at"],
                         done=False, done_at=None, contact_id=t["contact_id"],
                         call_id=t["call_id"], number=t["number"], created_at=T_ZERO)
                for i, t in enumerate(self.tasks) if t["contact_id"] == contact_id]

    def deals(self, contact_id: int | None = None,
              company_id: int | None = None) -> list[DealView]:
        return []

    def list_calls(self, *, contact_id: int | None = None, number: str | None = None,
                   limit: int = 200) -> list[CallView]:
        return [call_view(i, self.calls[i]) for i in sorted(self.calls, reverse=True)][:limit]

    def call_started(self, *, direction: str, account: str, number: str, remote_uri: str = "",
                     display_name: str = "", started_at: datetime, sip_call_id: str = "",
                     contact_id: int | None = None) -> int:
        row = next(self.ids)
        self.calls[row] = dict(direction=direction, account=account, number=number,
                               remote_uri=remote_uri, display_name=display_name,
                               started_at=started_at, sip_call_id=sip_call_id,
                               contact_id=contact_id)
        return row

    def call_answered(self, call_row_id: int, answered_at: datetime) -> CallView | None:
        self.calls[call_row_id]["answered_at"] = answered_at
        return self.get_call(call_row_id)

    def call_ended(self, call_row_id: int, *, ended_at: datetime, outcome: str,
                   sip_status: int | None = None, recording_path: str | None = None,
                   quality: dict[str, Any] | None = None,
                   reason: str | None = None) -> CallView | None:
        self.calls[call_row_id].update(ended_at=ended_at, outcome=outcome, sip_status=sip_status,
                                       recording_path=recording_path, quality=quality,
                                       reason=reason)
        return self.get_call(call_row_id)

    def get_call(self, call_row_id: int) -> CallView | None:
        fields = self.calls.get(call_row_id)
        return call_view(call_row_id, fields) if fields is not None else None

    def link_call(self, call_row_id: int, contact_id: int | None) -> CallView | None:
        self.calls[call_row_id]["contact_id"] = contact_id
        return self.get_call(call_row_id)

    def save_wrapup(self, call_row_id: int, *, outcome: str | None, reason: str = "",
                    note: str = "", author: str | None = None) -> WrapupView:
        self.wrapups[call_row_id] = dict(outcome=outcome, reason=reason, note=note,
                                         author=author)
        return WrapupView(call_row_id, outcome, reason, note, author, T_ZERO)

    def add_task(self, *, kind: str, title: str, due_at: datetime | None,
                 contact_id: int | None = None, call_id: int | None = None,
                 number: str | None = None) -> TaskView:
        self.tasks.append(dict(kind=kind, title=title, due_at=due_at, contact_id=contact_id,
                               call_id=call_id, number=number))
        return self.open_tasks(contact_id)[-1]

    def create_contact(self, name: str, *, company: str | None = None,
                       position: str | None = None,
                       phones: Iterable[tuple[str, ...] | str] = (),
                       emails: Iterable[str] = (), tags: Iterable[str] = (),
                       notes: str = "", do_not_call: bool = False) -> ContactView:
        cid = max(self.contacts) + 1
        self.contacts[cid] = contact(cid, name)
        for phone in phones:
            self.numbers[phone if isinstance(phone, str) else phone[0]] = cid
        return self.contacts[cid]

    def add_phone(self, contact_id: int, raw: str, label: str = "work",
                  primary: bool = False) -> ContactView:
        self.numbers[raw] = contact_id
        return self.contacts[contact_id]

    def add_deal(self, *, title: str, stage: str = "new",
                 amount: Decimal | float | int | str | None = None,
                 contact_id: int | None = None, company_id: int | None = None) -> DealView:
        return DealView(1, title, stage, None, contact_id, company_id, T_ZERO, T_ZERO)

    def ignore_number(self, raw: str, kind: str) -> IgnoredView:
        return IgnoredView(raw, raw, kind, T_ZERO)

    def load_full(self, why: str = "") -> FakeStore:
        self.loads += 1
        return self


class FakeEngine:
    def __init__(self) -> None:
        self.commands: list[tuple[Any, ...]] = []

    def dial(self, target: str, account: str | None = None) -> int:
        self.commands.append(("dial", target))
        return 7

    def reject(self, call_id: int, code: int = 486) -> None:
        self.commands.append(("reject", call_id, code))

    def hold(self, call_id: int) -> None:
        self.commands.append(("hold", call_id))

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
    # the DB job (lookup, row) is queued before the card's update: a synchronous runner has
    # its answer first, and the call update carries it
    assert [type(u) for u in updates] == [CallerFound, CallChanged]
    assert all(u.call.title == "Ann Lee" for u in updates)  # type: ignore[union-attr]
    assert store.loads == 1  # the full store loads behind the card's lookup
    assert store.calls[1]["contact_id"] == 1 and store.calls[1]["direction"] == "in"
    wf.on_sip_event(state(3, CallState.CONFIRMED, T0 + 5))
    assert store.calls[1]["answered_at"] == datetime.fromtimestamp(T0 + 5, UTC)
    wf.on_sip_event(CallQuality(at=T0 + 6, call_id=3, codec="PCMU", jitter_ms=4.0))
    wf.on_sip_event(state(3, CallState.DISCONNECTED, T0 + 65, code=200))
    ended = next(u for u in updates if isinstance(u, CallEnded))
    assert ended.wrapup and ended.call.outcome == "answered"
    assert ended.call.row.id == 1  # the wrap-up gets the call's row with the update
    assert DataChanged(frozenset({"calls", "missed_inbox"})) in updates
    assert store.calls[1]["outcome"] == "answered"
    assert store.calls[1]["quality"]["codec"] == "PCMU"
    assert wf.calls() == []

    wf.save_wrapup(call_id=3, outcome="Interested", reason="", note="wants a quote")
    due = due_in_days(1)
    wf.add_next_action("call_back", "Call back", due, call_id=3)
    assert store.wrapups[1]["note"] == "wants a quote"
    assert store.tasks[0]["call_id"] == 1 and store.tasks[0]["contact_id"] == 1
    assert store.tasks[0]["due_at"] == due


def test_a_jitter_not_measured_right_is_not_stored(setup: Any) -> None:
    """The engine says None when the stream's RTCP clock was wrong (sip/rtcp_clock.py): the
    call's figures then have no jitter rather than a wrong one."""
    wf, store, _engine, _updates = setup
    wf.on_sip_event(IncomingCall(at=T0, call_id=4, account="LAN", remote_uri="sip:x@h",
                                 display_name="X", number="+15550001"))
    wf.on_sip_event(state(4, CallState.CONFIRMED, T0 + 5))
    wf.on_sip_event(CallQuality(at=T0 + 6, call_id=4, codec="opus/48000", jitter_ms=None))
    wf.on_sip_event(state(4, CallState.DISCONNECTED, T0 + 65, code=200))
    quality = store.calls[1]["quality"]
    assert quality["codec"] == "opus/48000" and "jitter_ms" not in quality


def test_missed_and_rejected(setup: Any) -> None:
    wf, store, engine, updates = setup
    wf.on_sip_event(IncomingCall(at=T0, call_id=1, account="LAN", remote_uri="sip:9@h",
                                 display_name="", number="999"))
    wf.on_sip_event(state(1, CallState.DISCONNECTED, T0 + 9, code=487, number="999"))
    assert store.calls[1]["outcome"] == "missed"
    assert not next(u for u in updates if isinstance(u, CallEnded)).wrapup
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
    assert next(u for u in updates if isinstance(u, CallEnded)).wrapup


def test_unknown_caller_contact_created_and_call_linked(setup: Any) -> None:
    wf, store, _engine, updates = setup
    wf.on_sip_event(IncomingCall(at=T0, call_id=4, account="LAN", remote_uri="sip:5@h",
                                 display_name="", number="+15559999"))
    caller = next(u for u in updates if isinstance(u, CallerFound)).call
    assert caller.caller is not None and not caller.caller.known
    made: list[Any] = []
    wf.create_contact_for_call(4, "New Person", on_done=made.append)
    assert made[0].name == "New Person"
    assert store.calls[1]["contact_id"] == made[0].id
    found = updates[-2]
    assert isinstance(found, CallerFound) and found.call.title == "New Person"
    assert isinstance(updates[-1], DataChanged) and "contacts" in updates[-1].tables


def test_dnd_rejection_is_logged_as_missed(setup: Any) -> None:
    wf, store, _engine, _updates = setup
    wf.on_sip_event(CallRejectedByRule(at=T0, account="LAN", remote_uri="sip:1@h",
                                       display_name="", number="+15550001", code=486,
                                       rule="dnd"))
    assert store.calls[1]["outcome"] == "missed" and store.calls[1]["contact_id"] == 1


def test_db_errors_become_error_updates(setup: Any) -> None:
    wf, store, _engine, updates = setup

    def broken(**_fields: Any) -> int:
        raise RuntimeError("disk on fire")

    store.call_started = broken  # type: ignore[method-assign]
    wf.on_sip_event(IncomingCall(at=T0, call_id=5, account="LAN", remote_uri="sip:1@h",
                                 display_name="", number="1"))
    errors = [u for u in updates if isinstance(u, WorkflowError)]
    assert len(errors) == 1 and "disk on fire" in errors[0].message
    wf.on_sip_event(state(5, CallState.DISCONNECTED, T0 + 1, code=487, number="1"))
    assert sum(isinstance(u, CallEnded) for u in updates) == 1


def test_due_in_days_is_utc_and_in_the_future() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    due = due_in_days(3, now)
    assert due.tzinfo is not None and due - now > timedelta(days=2)
