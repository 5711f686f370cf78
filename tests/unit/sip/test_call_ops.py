"""Call commands' own decisions (CallOps): which state a command needs, the error a wrong one
gets, which other calls go on hold, how a dial that never reached the network ends, and which
DTMF method is used. The pjsua2 call objects are fakes (they need a live call); the call table,
the security part and the events are real."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pjsua2 as pj
import pytest

from softphone.settings import AccountSettings, CallSettings
from softphone.sip import events as ev
from softphone.sip.call_ops import CallOps
from softphone.sip.call_security import CallSecurity
from softphone.sip.calls import CallError, CallRecord, CallTable
from softphone.sip.events import CallState, Direction
from tests.harness.fakes import FakeResolver


class FakeCall:
    """What a command asked of the pjsua2 call."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []

    def answer(self, op: Any) -> None:
        self.asked.append(("answer", op.statusCode))

    def hangup(self, op: Any) -> None:
        self.asked.append(("hangup", op.statusCode))

    def setHold(self, op: Any) -> None:
        self.asked.append(("hold", None))

    def reinvite(self, op: Any) -> None:
        self.asked.append(("reinvite", op.opt.flag))

    def sendDtmf(self, prm: Any) -> None:
        self.asked.append(("dtmf", (prm.digits, prm.method)))

    def xfer(self, uri: str, op: Any) -> None:
        self.asked.append(("xfer", uri))


class FakeAudio:
    def __init__(self) -> None:
        self.done: list[tuple[str, Any]] = []

    def play_tone(self, name: str) -> None:
        self.done.append(("tone", name))

    def stop_ringing(self) -> None:
        self.done.append(("stop_ringing", None))

    def set_mute(self, muted: bool) -> None:
        self.done.append(("mute", muted))

    def dtmf_feedback(self, digit: str) -> None:
        self.done.append(("feedback", digit))


class Harness:
    def __init__(self, dtmf_method: str = "rfc4733", registered: bool = False) -> None:
        self.events: list[ev.SipEvent] = []
        self.timers: list[tuple[float, Callable[[], None]]] = []
        settings = AccountSettings(name="work", address="sip:alice@pbx.example.org",
                                   registrar="sip:pbx.example.org", dtmf_method=dtmf_method)
        # account None: the pjsua2 account is not there (disabled, being re-created)
        self.accounts = {"work": SimpleNamespace(settings=settings, account=None)}
        self.table = CallTable(self.events.append)
        self.audio = FakeAudio()
        self.resolver = FakeResolver()

        def schedule(delay: float, fn: Callable[[], None]) -> None:
            self.timers.append((delay, fn))

        self.ops = CallOps(
            table=self.table, media=SimpleNamespace(conference_ids=set()),  # type: ignore[arg-type]
            security=CallSecurity(self.accounts, self.events.append, schedule),  # type: ignore[arg-type]
            accounts=self.accounts, audio=self.audio, guard=None,  # type: ignore[arg-type]
            resolver=self.resolver, call_settings=CallSettings(),  # type: ignore[arg-type]
            allocate_call_id=lambda: 99, schedule=schedule, emit=self.events.append,
            graveyard=[])

    def add(self, call_id: int, direction: Direction, state: CallState,
            call: FakeCall | None = None, **kw: Any) -> CallRecord:
        record = CallRecord(call_id=call_id, account="work", direction=direction,
                            call=call,  # type: ignore[arg-type]
                            remote_uri=f"sip:{call_id}@example.org", state=state, **kw)
        self.table.calls[call_id] = record
        return record

    def errors(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, ev.EngineError)]

    def states(self, call_id: int) -> list[CallState]:
        return [e.state for e in self.events
                if isinstance(e, ev.CallStateChanged) and e.call_id == call_id]


def test_answering_holds_the_talking_call_and_watches_for_the_ack() -> None:
    h = Harness()
    talking = h.add(1, Direction.OUTGOING, CallState.CONFIRMED, FakeCall())
    ringing = h.add(2, Direction.INCOMING, CallState.INCOMING, FakeCall())
    h.ops.answer(2)
    assert ringing.call.asked == [("answer", 200)]  # type: ignore[union-attr]
    assert talking.call.asked == [("hold", None)]  # type: ignore[union-attr]
    assert len(h.timers) == 1  # the unacknowledged-answer check


def test_a_conference_partner_is_not_put_on_hold() -> None:
    h = Harness()
    partner = h.add(1, Direction.OUTGOING, CallState.CONFIRMED, FakeCall())
    h.add(2, Direction.OUTGOING, CallState.CONFIRMED, FakeCall(), held=True)
    h.ops.media.conference_ids = {1, 2}
    h.ops.resume(2)
    assert partner.call.asked == []  # type: ignore[union-attr]
    assert h.table.calls[2].call.asked == [  # type: ignore[union-attr]
        ("reinvite", pj.PJSUA_CALL_UNHOLD)]


@pytest.mark.parametrize(("command", "message"), [
    ("answer", "call 1 is not ringing"),
    ("reject", "call 1 is not ringing; hang it up instead"),
])
def test_answer_and_reject_need_a_ringing_call(command: str, message: str) -> None:
    h = Harness()
    call = FakeCall()
    h.add(1, Direction.OUTGOING, CallState.CONFIRMED, call)
    with pytest.raises(CallError) as raised:
        h.ops.answer(1) if command == "answer" else h.ops.reject(1, 486)
    assert str(raised.value) == message and call.asked == []


def test_reject_sends_the_code_asked_for() -> None:
    h = Harness()
    record = h.add(1, Direction.INCOMING, CallState.INCOMING, FakeCall())
    h.ops.reject(1, 603)
    assert record.call.asked == [("hangup", 603)] and record.local_hangup  # type: ignore[union-attr]


@pytest.mark.parametrize(("prepare", "message"), [
    (lambda h: None, "no call 7 (it may have ended)"),
    (lambda h: h.add(7, Direction.OUTGOING, CallState.DISCONNECTED, FakeCall()),
     "no call 7 (it may have ended)"),
    (lambda h: h.add(7, Direction.OUTGOING, CallState.CALLING), "call 7 is not set up yet"),
])
def test_commands_on_a_missing_or_unstarted_call(prepare: Callable[[Harness], Any],
                                                  message: str) -> None:
    h = Harness()
    prepare(h)
    for command in (lambda: h.ops.hold(7), lambda: h.ops.send_dtmf(7, "1"),
                    lambda: h.ops.transfer(7, "sip:x@example.org")):
        with pytest.raises(CallError, match=re.escape(message)):
            command()


def test_hanging_up_a_call_that_never_reached_the_network() -> None:
    h = Harness()
    h.ops.dial(5, "sip:bob@pbx.example.org", "work")
    assert h.states(5) == [CallState.CALLING]  # shown while the name resolves
    h.ops.hangup(5)
    assert h.states(5)[-1] is CallState.DISCONNECTED and 5 not in h.table.calls
    assert h.errors() == [] and h.audio.done == []  # the user's own cancel: no error tone
    h.resolver.asked[0][1](None)  # the lookup's late answer starts nothing
    assert h.states(5) == [CallState.CALLING, CallState.DISCONNECTED]


def test_a_dial_whose_name_does_not_resolve_says_so() -> None:
    h = Harness()
    h.ops.dial(5, "sip:bob@pbx.example.org", "work")
    [(host, done)] = h.resolver.asked
    assert host == "pbx.example.org"
    done("Name or service not known")
    assert h.errors() == ["Call failed: Name or service not known"]
    assert h.audio.done == [("tone", "failed")]
    [*_, last] = [e for e in h.events if isinstance(e, ev.CallStateChanged)]
    assert (last.state, last.reason) == (CallState.DISCONNECTED, "Name or service not known")


def test_a_dial_on_an_account_that_is_not_there() -> None:
    h = Harness()
    h.ops.dial(5, "sip:bob@192.0.2.7", "work")  # an address: no lookup
    assert h.resolver.asked == []
    assert h.errors() == ["Call failed: account work is not available"]


@pytest.mark.parametrize(("method", "pj_method"), [
    ("rfc4733", pj.PJSUA_DTMF_METHOD_RFC2833),
    ("info", pj.PJSUA_DTMF_METHOD_SIP_INFO),
])
def test_dtmf_goes_by_the_accounts_method(method: str, pj_method: int) -> None:
    h = Harness(dtmf_method=method)
    call = FakeCall()
    h.add(1, Direction.OUTGOING, CallState.CONFIRMED, call)
    h.ops.send_dtmf(1, "1#")
    assert call.asked == [("dtmf", ("1#", pj_method))]
    assert h.audio.done == [("feedback", "1"), ("feedback", "#")]


def test_mute_is_shown_on_every_live_call() -> None:
    h = Harness()
    h.add(1, Direction.OUTGOING, CallState.CONFIRMED, FakeCall())
    h.add(2, Direction.OUTGOING, CallState.DISCONNECTED, FakeCall())
    h.add(3, Direction.INCOMING, CallState.CONFIRMED, FakeCall(), silent=True)
    h.ops.set_mute(True)
    shown = [e for e in h.events if isinstance(e, ev.CallStateChanged)]
    assert [(e.call_id, e.muted) for e in shown] == [(1, True)]
    assert h.audio.done == [("mute", True)]


def test_hangup_all_ends_only_live_calls_the_user_knows() -> None:
    h = Harness()
    live = h.add(1, Direction.OUTGOING, CallState.CONFIRMED, FakeCall())
    ended = h.add(2, Direction.OUTGOING, CallState.DISCONNECTED, FakeCall())
    silent = h.add(3, Direction.INCOMING, CallState.INCOMING, FakeCall(), silent=True)
    h.ops.hangup_all()
    assert live.call.asked == [("hangup", 0)]  # type: ignore[union-attr]
    assert ended.call.asked == [] and silent.call.asked == []  # type: ignore[union-attr]
