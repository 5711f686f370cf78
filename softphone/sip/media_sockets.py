"""Pacing of call set-ups, so that PJSIP never runs out of ioqueue keys.

Every call's media opens sockets that PJSIP registers in an ioqueue: RTP and RTCP on
pjmedia's ioqueue; with ICE one STUN socket per component, and a TURN socket per component
with TURN, on the SIP endpoint's ioqueue. Each ioqueue has ``PJ_IOQUEUE_MAX_HANDLES`` (64)
keys, fixed when the wheel was built. A key does not come back when its socket closes: with
``PJ_IOQUEUE_HAS_SAFE_UNREG`` (the default) ``pj_ioqueue_unregister()`` parks it on the
ioqueue's closing list for ``PJ_IOQUEUE_KEY_FREE_DELAY`` (500 ms), so that a callback still
running on another thread never meets a recycled key. ``pj_ioqueue_register_sock2()``
(pjlib/src/pj/ioqueue_select.c) then takes a key from the free list after
``pj_assert(!pj_list_empty(&ioqueue->free_list))``: the wheel keeps its assertions, so the
33rd call set up within half a second (2 keys a call; the 16th with ICE and TURN) aborts the
whole process instead of failing that one call. An agent redialing, an auto-dialer or a test
suite placing calls in sequence gets there.

Nothing in pjsua2 enlarges the pool, shortens the delay or tells how many keys are free, so
the engine keeps its own account: keys held by live calls, and the keys of ended calls until
their delay is over. A new outgoing call that does not fit waits on a timer of the SIP thread
(the user sees "calling") until enough keys are free again; it is never refused for this.
Incoming calls cannot be held back here (pjsua opens their media before the application
hears of them): they are counted, and invite_guard.py refuses new INVITEs over their share
before pjsua sees them.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from softphone.settings import AccountSettings
from softphone.sip.nat import uses_ice

IOQUEUE_KEYS = 64  # PJ_IOQUEUE_MAX_HANDLES of the wheel (pjlib's default)
KEY_FREE_DELAY = 0.5  # PJ_IOQUEUE_KEY_FREE_DELAY, 500 ms
# Our clock starts at the DISCONNECTED callback; pjsua closes the media just after it, and
# an ICE transport's sockets a little later (its group lock): this covers both.
RELEASE_MARGIN = 0.25
# A TURN socket closes only once the server has answered the deallocation (a Refresh with
# lifetime 0) or the STUN transaction timed out: 7.9 s with pjnath's default RTO of 100 ms.
TURN_RELEASE = 8.0
# The 64 keys, shared out: SIP's own sockets on the SIP ioqueue (listeners, TCP/TLS
# connections, the DNS resolver, STUN); new incoming calls' media per KEY_FREE_DELAY, which
# invite_guard.py holds to; and the rest for our dials and every call in progress.
# Both shares are equal so that another softphone redialing us at its fastest (this pacing)
# is never refused by our invite guard.
SIP_SPARE_KEYS = 8
INCOMING_KEYS = 28
BUDGET = IOQUEUE_KEYS - SIP_SPARE_KEYS - INCOMING_KEYS


@dataclass(frozen=True)
class MediaKeys:
    """The ioqueue keys one call's media takes: ``quick`` ones free KEY_FREE_DELAY after the
    call ends, ``turn`` ones only after the TURN server let the allocation go."""

    quick: int
    turn: int = 0

    @property
    def total(self) -> int:
        return self.quick + self.turn


def media_keys(settings: AccountSettings | None) -> MediaKeys:
    """What a call of this account takes: RTP+RTCP, or per ICE component (2) a STUN socket
    and with TURN a TURN socket (IPv6 media is off in this wheel: no second family)."""
    if settings is None or not uses_ice(settings):
        return MediaKeys(quick=2)
    return MediaKeys(quick=2, turn=2 if settings.turn_server else 0)


def widest_keys(accounts: Iterable[AccountSettings]) -> MediaKeys:
    """The most keys a call of any of these accounts takes (plain RTP when there is none)."""
    return max((media_keys(a) for a in accounts), key=lambda k: k.total,
               default=media_keys(None))


class KeyLedger:
    """Keys of ended calls that PJSIP has not given back yet, and how long a new call with
    ``need`` keys must wait. Live calls are passed in by the caller (the session's records)."""

    def __init__(self, budget: int = BUDGET,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._clock = clock
        self._parked: list[tuple[float, int]] = []  # (free again at, keys), a heap

    def released(self, keys: MediaKeys) -> None:
        """A call's media went away now (its call ended, or never started)."""
        now = self._clock()
        if keys.quick:
            heapq.heappush(self._parked, (now + KEY_FREE_DELAY + RELEASE_MARGIN, keys.quick))
        if keys.turn:
            heapq.heappush(self._parked,
                           (now + TURN_RELEASE + KEY_FREE_DELAY + RELEASE_MARGIN, keys.turn))

    def parked(self) -> int:
        """Keys still in PJSIP's closing list (by our account)."""
        self._forget_freed(self._clock())
        return sum(keys for _at, keys in self._parked)

    def wait_for(self, need: MediaKeys, live: Iterable[MediaKeys]) -> float:
        """Seconds until a new call with ``need`` keys fits (0.0: now). When live calls alone
        leave no room, 0.0 too: pjsua's own call limit answers that, not a wait."""
        now = self._clock()
        self._forget_freed(now)
        in_use = sum(k.total for k in live)
        used = in_use + sum(keys for _at, keys in self._parked)
        if used + need.total <= self.budget or in_use + need.total > self.budget:
            return 0.0
        for at, keys in sorted(self._parked):
            used -= keys
            if used + need.total <= self.budget:
                return max(0.0, at - now)
        return 0.0  # not reached: with no parked keys, the call fitted above

    def _forget_freed(self, now: float) -> None:
        while self._parked and self._parked[0][0] <= now:
            heapq.heappop(self._parked)
