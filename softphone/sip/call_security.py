"""Encrypted media on the SIP thread: what a call's audio really uses (SRTP suite, ICE path),
and ``srtp = "mandatory"`` failing with a clear message instead of silence.

:class:`CallSecurity` is a part of the session (``SipSession.security``), given the
accounts, the event sink and the timers; every method runs on the SIP thread. pjsua itself
offers RTP/SAVP and refuses an unencrypted offer (488) for such an account; the refusal of an
incoming call is reported by ``refused.py`` (``unencrypted``), an outgoing call refused by the
far end is explained here.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from softphone.sip import events as ev
from softphone.sip.calls import CallRecord
from softphone.sip.events import Direction
from softphone.sip.nat import MediaPath, read_media_path, srtp_mode

if TYPE_CHECKING:
    from softphone.sip.accounts import AccountState

log = logging.getLogger("softphone.sip")

NO_SRTP_PEER = "The other side does not support encrypted calls"
# What a peer without SRTP answers an RTP/SAVP offer with (RFC 3261 / 4568 practice).
_NOT_ACCEPTABLE = (406, 415, 488, 606)


class CallSecurity:
    def __init__(self, accounts: Mapping[str, AccountState],
                 emit: Callable[[ev.SipEvent], None],
                 schedule: Callable[[float, Callable[[], None]], None]) -> None:
        self.accounts = accounts
        self.emit = emit
        self.schedule = schedule

    # --- settings ------------------------------------------------------------------------
    def srtp_mode_of(self, account: str) -> str:
        state = self.accounts.get(account)
        return srtp_mode(state.settings) if state is not None else "off"

    # --- outgoing ------------------------------------------------------------------------
    def explain_failed_call(self, record: CallRecord) -> None:
        """A call of an encryption-only account that the far end refused for its media: say
        why (the status is in the call's CallStateChanged and the call log)."""
        if (record.direction is Direction.OUTGOING and record.answered_at is None
                and not record.local_hangup and record.code in _NOT_ACCEPTABLE
                and self.srtp_mode_of(record.account) == "mandatory"):
            status = f"{record.code} {record.reason}".strip()
            record.end_reason = "unencrypted"
            log.warning("call %s to %s failed: %s (srtp = mandatory on account %s)",
                        record.call_id, record.remote_uri, status, record.account)
            self.emit(ev.EngineError(at=time.time(), command="dial", call_id=record.call_id,
                                     message=f"{NO_SRTP_PEER} ({status})"))

    # --- media ---------------------------------------------------------------------------
    def note_media_path(self, record: CallRecord, call: Any, active: bool) -> MediaPath:
        """Read what the audio now uses; a call of an encryption-only account whose media
        came up unencrypted (a late offer, a re-INVITE) is ended at once."""
        path = read_media_path(call)
        record.media_path = path
        if (active and not path.encryption and not record.ended
                and self.srtp_mode_of(record.account) == "mandatory"):
            log.warning("call %s: media came up unencrypted but account %s requires "
                        "encryption: hanging up", record.call_id, record.account)
            self.emit(ev.EngineError(at=time.time(), command="media", call_id=record.call_id,
                                     message=f"{NO_SRTP_PEER}: the call was ended"))

            def hang_up() -> None:
                if not record.ended and record.call is not None:
                    record.local_hangup = True
                    op = pj.CallOpParam()
                    op.statusCode = 488
                    with contextlib.suppress(pj.Error):
                        record.call.hangup(op)

            self.schedule(0.0, hang_up)
        return path
