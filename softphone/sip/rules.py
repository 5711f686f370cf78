"""Call handling rules (do-not-disturb, forwarding, auto-answer): a pure decision function.

The engine asks :func:`decide_incoming` what to do with each new incoming call and carries
the answer out on the SIP thread; keeping the decision here makes it testable without SIP.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from softphone.settings import CallSettings

BUSY_HERE = 486
DECLINE = 603
MOVED_TEMPORARILY = 302


class IncomingAction(StrEnum):
    RING = "ring"
    REJECT = "reject"  # answered with ``code`` at once (dnd)
    FORWARD = "forward"  # 302 to ``target`` at once


@dataclass(frozen=True)
class IncomingDecision:
    action: IncomingAction
    rule: str = ""  # dnd | always | busy  (for REJECT/FORWARD)
    code: int = 0
    target: str | None = None
    # For RING: answer by itself after this many seconds (None: never).
    auto_answer_after: float | None = None
    # For RING: forward (302) to no_answer_target if still ringing after this many seconds.
    no_answer_after: float | None = None
    no_answer_target: str | None = None


def decide_incoming(calls: CallSettings, *, busy: bool) -> IncomingDecision:
    """What to do with a new incoming call.

    Args:
        calls: the live call handling settings.
        busy: another call is already up (talking, dialling or on hold).

    Order: do-not-disturb wins, then forward-always, then forward-on-busy; otherwise the call
    rings, with auto-answer (never while another call is up: it would barge into it) and
    forward-on-no-answer timers as configured; whichever timer fires first wins (the other
    finds the call no longer ringing).
    """
    if calls.dnd:
        return IncomingDecision(IncomingAction.REJECT, rule="dnd", code=BUSY_HERE)
    if calls.forward_always:
        return IncomingDecision(
            IncomingAction.FORWARD, rule="always", code=MOVED_TEMPORARILY,
            target=calls.forward_always,
        )
    if busy and calls.forward_busy:
        return IncomingDecision(
            IncomingAction.FORWARD, rule="busy", code=MOVED_TEMPORARILY, target=calls.forward_busy
        )
    auto_after = float(max(0, calls.auto_answer_delay)) if calls.auto_answer and not busy else None
    no_answer_after = None
    no_answer_target = None
    if calls.forward_no_answer:
        no_answer_after = float(max(1, calls.forward_no_answer_after))
        no_answer_target = calls.forward_no_answer
    return IncomingDecision(
        IncomingAction.RING,
        auto_answer_after=auto_after,
        no_answer_after=no_answer_after,
        no_answer_target=no_answer_target,
    )


class RetryBackoff:
    """Re-registration delays after failures: 5 s doubling up to 5 min, reset on success.

    Authentication failures (401/403) start higher, since retrying a wrong password quickly
    only gets the account locked by the server.
    """

    def __init__(self, first: float = 5.0, maximum: float = 300.0) -> None:
        self.first = first
        self.maximum = maximum
        self.failures = 0

    def next_delay(self, code: int) -> float:
        self.failures += 1
        start = self.first * 6 if code in (401, 403, 407) else self.first
        return min(self.maximum, start * 2.0 ** (self.failures - 1))

    def reset(self) -> None:
        self.failures = 0
