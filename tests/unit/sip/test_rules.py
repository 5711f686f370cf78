"""Call handling rules: what happens to an incoming call before (or instead of) ringing."""

from __future__ import annotations

from softphone.settings import CallSettings
from softphone.sip.rules import IncomingAction, RetryBackoff, decide_incoming


def test_plain_call_rings() -> None:
    decision = decide_incoming(CallSettings(), busy=False)
    assert decision.action is IncomingAction.RING
    assert decision.auto_answer_after is None and decision.no_answer_after is None


def test_dnd_answers_busy_before_anything_else() -> None:
    calls = CallSettings(dnd=True, forward_always="sip:x@h", auto_answer=True)
    decision = decide_incoming(calls, busy=False)
    assert decision.action is IncomingAction.REJECT
    assert (decision.code, decision.rule) == (486, "dnd")


def test_forward_always() -> None:
    decision = decide_incoming(CallSettings(forward_always="+100"), busy=False)
    assert decision.action is IncomingAction.FORWARD
    assert (decision.code, decision.rule, decision.target) == (302, "always", "+100")


def test_forward_on_busy_only_when_a_call_is_up() -> None:
    calls = CallSettings(forward_busy="sip:vm@h")
    assert decide_incoming(calls, busy=False).action is IncomingAction.RING
    decision = decide_incoming(calls, busy=True)
    assert decision.action is IncomingAction.FORWARD and decision.rule == "busy"


def test_call_waiting_rings_without_auto_answer() -> None:
    calls = CallSettings(auto_answer=True, auto_answer_delay=2)
    assert decide_incoming(calls, busy=False).auto_answer_after == 2.0
    waiting = decide_incoming(calls, busy=True)
    assert waiting.action is IncomingAction.RING and waiting.auto_answer_after is None


def test_forward_on_no_answer_sets_a_timer() -> None:
    calls = CallSettings(forward_no_answer="sip:desk@h", forward_no_answer_after=15)
    decision = decide_incoming(calls, busy=False)
    assert decision.action is IncomingAction.RING
    assert decision.no_answer_after == 15.0 and decision.no_answer_target == "sip:desk@h"


def test_auto_answer_and_no_answer_forward_both_armed() -> None:
    # whichever fires first wins; the other finds the call no longer ringing
    calls = CallSettings(auto_answer=True, auto_answer_delay=30,
                         forward_no_answer="sip:desk@h", forward_no_answer_after=20)
    decision = decide_incoming(calls, busy=False)
    assert (decision.auto_answer_after, decision.no_answer_after) == (30.0, 20.0)


def test_retry_backoff_grows_and_resets() -> None:
    backoff = RetryBackoff(first=5, maximum=60)
    delays = [backoff.next_delay(503) for _ in range(6)]
    assert delays == [5, 10, 20, 40, 60, 60]
    backoff.reset()
    assert backoff.next_delay(408) == 5


def test_retry_backoff_is_slower_after_bad_credentials() -> None:
    assert RetryBackoff(first=5).next_delay(403) > RetryBackoff(first=5).next_delay(503)
