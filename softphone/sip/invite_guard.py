"""Incoming calls faster than PJSIP can take them get 486 before pjsua opens their media.

Our own dials wait for free ioqueue keys (media_sockets.py), but pjsua opens an incoming call's
media sockets before the application hears of the call, so callers that INVITE and CANCEL at
once, over and over, could still use up the keys and abort the phone. ``audio/invite_guard.c``
(a pjsip module ahead of pjsua's) lets at most :func:`incoming_limit` new INVITEs through per
key-free delay; the rest are answered 486 Busy Here, as pjsua answers when its four call slots
are full. Without the C module (another pjproject, Windows) the guard is off and logged once.
"""

from __future__ import annotations

import logging

from softphone.sip.media_sockets import INCOMING_KEYS, KEY_FREE_DELAY, RELEASE_MARGIN, MediaKeys

log = logging.getLogger("softphone.sip")

WINDOW_MS = int((KEY_FREE_DELAY + RELEASE_MARGIN) * 1000)
_installed = False


def incoming_limit(widest: MediaKeys) -> int:
    """New INVITEs let through per window: their media fits in the incoming share."""
    return max(1, INCOMING_KEYS // max(1, widest.total))


def apply(widest: MediaKeys) -> bool:
    """Install the guard (SIP thread, after libStart) or update its limit; False when it
    cannot run here."""
    global _installed
    from softphone.sip.audio import native

    limit = incoming_limit(widest)
    if _installed:
        native.lib.sp_invite_guard_set(limit, WINDOW_MS)
        return True
    if not native.pj_available():
        log.warning("incoming calls are not rate-limited: %s",
                    native.pj_why_not or native.why_not)
        return False
    if native.lib.sp_invite_guard_install(limit, WINDOW_MS) != 0:
        why = native.ffi.string(native.lib.sp_invite_guard_error()).decode(errors="replace")
        log.warning("incoming calls are not rate-limited: %s", why)
        return False
    _installed = True
    log.info("incoming calls: at most %d new INVITEs per %d ms reach pjsua", limit, WINDOW_MS)
    return True


def refused() -> int:
    """INVITEs the guard answered 486 so far (0 when it is not installed)."""
    if not _installed:
        return 0
    from softphone.sip.audio import native

    return int(native.lib.sp_invite_guard_refused())
