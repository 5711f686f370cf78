"""Final responses to new incoming calls (refusals, 302 redirects), sent on the SIP loop's next
turn and paced under an INVITE flood."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

import pjsua2 as pj

from softphone.sip.calls import CallRecord

log = logging.getLogger("softphone.sip")

REFUSALS_PER_SECOND = 5
REFUSAL_LINGER = 0.3


class FinalAnswers:
    def __init__(self, schedule: Callable[[float, Callable[[], None]], None]) -> None:
        self.schedule = schedule
        self.recent: deque[float] = deque()  # when the last second's answers were queued

    def send(self, record: CallRecord, code: int,
             headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Send a final response to a new incoming call on the next loop turn: a final answer
        from inside onIncomingCall can leave pjsua freeing the INVITE twice (an abort seen
        under an INVITE flood)."""

        def answer() -> None:
            if record.call is None or record.ended:
                return
            op = pj.CallOpParam()
            op.statusCode = code
            for name, value in headers:
                header = pj.SipHeader()
                header.hName = name
                header.hValue = value
                op.txOption.headers.append(header)
            try:
                record.call.answer(op)
            except pj.Error as exc:
                log.info("final answer %s to call %s failed: %s", code, record.call_id,
                         exc.reason)

        # Every refused call frees its RTP sockets only ~0.5 s later (PJSIP's safe socket
        # unregistration): refusing thousands a second (an INVITE flood) runs PJSIP out of
        # socket handles, which aborts the process. Past a few a second, refusals linger a
        # moment: the lingering calls hold every slot, so pjsua turns the flood away cheaply
        # (no sockets), and the slots are free again just after the flood ends.
        now = time.monotonic()
        recent = self.recent
        while recent and now - recent[0] > 1.0:
            recent.popleft()
        recent.append(now)
        self.schedule(0.0 if len(recent) <= REFUSALS_PER_SECOND else REFUSAL_LINGER, answer)
