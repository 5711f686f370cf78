"""FinalAnswers: a final response goes out on the loop's next turn (never from inside
onIncomingCall), with its headers; past a few a second (an INVITE flood) they linger a moment;
a call that ended meanwhile gets none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from softphone.sip.calls import CallRecord
from softphone.sip.events import CallState, Direction
from softphone.sip.final_answers import REFUSAL_LINGER, REFUSALS_PER_SECOND, FinalAnswers


class AnsweredCall:
    def __init__(self, fail: bool = False) -> None:
        self.answers: list[tuple[int, list[tuple[str, str]]]] = []
        self.fail = fail

    def answer(self, op: Any) -> None:
        if self.fail:
            raise pj.Error()
        self.answers.append((op.statusCode, [(h.hName, h.hValue) for h in op.txOption.headers]))


def record(call: AnsweredCall, call_id: int = 1) -> CallRecord:
    return CallRecord(call_id=call_id, account="lan", direction=Direction.INCOMING,
                      call=call, remote_uri="sip:caller@192.0.2.1",  # type: ignore[arg-type]
                      state=CallState.INCOMING)


def answers() -> tuple[FinalAnswers, list[tuple[float, Callable[[], None]]]]:
    queued: list[tuple[float, Callable[[], None]]] = []
    return FinalAnswers(lambda delay, fn: queued.append((delay, fn))), queued


def test_the_answer_goes_out_on_the_next_turn_with_its_headers() -> None:
    final, queued = answers()
    call = AnsweredCall()
    final.send(record(call), 302, (("Contact", "<sip:201@192.0.2.9>"),))
    assert call.answers == []  # not from inside the callback
    ((delay, fn),) = queued
    assert delay == 0.0
    fn()
    assert call.answers == [(302, [("Contact", "<sip:201@192.0.2.9>")])]


def test_in_a_flood_refusals_linger() -> None:
    final, queued = answers()
    for n in range(REFUSALS_PER_SECOND + 3):
        final.send(record(AnsweredCall(), n), 486)
    delays = [d for d, _ in queued]
    assert delays[:REFUSALS_PER_SECOND] == [0.0] * REFUSALS_PER_SECOND
    assert delays[REFUSALS_PER_SECOND:] == [REFUSAL_LINGER] * 3


def test_a_call_that_ended_meanwhile_gets_nothing_and_a_failure_is_only_logged() -> None:
    final, queued = answers()
    ended_call = AnsweredCall()
    ended = record(ended_call)
    final.send(ended, 486)
    ended.state = CallState.DISCONNECTED
    final.send(record(AnsweredCall(fail=True), 2), 403)
    for _delay, fn in queued:
        fn()  # the failing one raises nothing
    assert ended_call.answers == []
