"""Calls: the pjsua2 ``Call`` subclass and what the session remembers about each call.

Only the SIP thread touches these objects. Callbacks only hand over to the session.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pjsua2 as pj

from softphone.sip.codecs import reported_loss
from softphone.sip.events import CallQuality, CallState, CallStateChanged, Direction
from softphone.sip.nat import MediaPath
from softphone.sip.rtcp_clock import correct_stream

log = logging.getLogger("softphone.sip")

PJ_STATES = {
    pj.PJSIP_INV_STATE_CALLING: CallState.CALLING,
    pj.PJSIP_INV_STATE_INCOMING: CallState.INCOMING,
    pj.PJSIP_INV_STATE_EARLY: CallState.EARLY,
    pj.PJSIP_INV_STATE_CONNECTING: CallState.CONNECTING,
    pj.PJSIP_INV_STATE_CONFIRMED: CallState.CONFIRMED,
    pj.PJSIP_INV_STATE_DISCONNECTED: CallState.DISCONNECTED,
}


class CallError(Exception):
    """A call command that cannot be carried out (no such call, wrong state)."""


class CallCallbacks(Protocol):
    """What an :class:`EngineCall` hands its pjsua2 callbacks to (the session's calls)."""

    def on_call_state(self, call: EngineCall) -> None: ...
    def on_call_media_state(self, call: EngineCall) -> None: ...
    def on_dtmf_digit(self, call: EngineCall, digit: str, method: str) -> None: ...
    def on_transfer_request(self, call: EngineCall, prm: Any) -> None: ...
    def on_transfer_status(self, call: EngineCall, code: int, final: bool) -> None: ...
    def on_call_redirected(self, call: EngineCall, target: str) -> None: ...
    def on_stream_destroyed(self, call: EngineCall) -> None: ...
    def on_call_replaced(self, call: EngineCall, prm: Any) -> None: ...


class EngineCall(pj.Call):  # type: ignore[misc]  # pjsua2 ships no type stubs
    """Forwards pjsua2 call callbacks to the session, tagged with the engine's call id."""

    def __init__(self, session: CallCallbacks, account: Any, pj_call_id: int = -1) -> None:
        if pj_call_id >= 0:
            super().__init__(account, pj_call_id)
        else:
            super().__init__(account)
        self._session = session
        self.engine_id = -1  # set by the session right after creation
        self.jitter_valid = True  # False: its stream's RTCP clock is wrong (rtcp_clock.py)

    def _guard(self, name: str, fn: Any, *args: Any) -> None:
        # An exception escaping into SWIG would be printed and leave a traceback holding
        # pjsua2 objects alive (sys.last_traceback), which breaks shutdown.
        try:
            fn(*args)
        except Exception:
            log.exception("%s callback failed (call %s)", name, self.engine_id)

    def onCallState(self, prm: Any) -> None:
        self._guard("call state", self._session.on_call_state, self)

    def onCallMediaState(self, prm: Any) -> None:
        self._guard("media state", self._session.on_call_media_state, self)

    def onDtmfDigit(self, prm: Any) -> None:
        method = "info" if int(prm.method) == pj.PJSUA_DTMF_METHOD_SIP_INFO else "rfc4733"
        self._guard("dtmf", self._session.on_dtmf_digit, self, str(prm.digit), method)

    def onCallTransferRequest(self, prm: Any) -> None:
        self._guard("transfer request", self._session.on_transfer_request, self, prm)

    def onCallTransferStatus(self, prm: Any) -> None:
        self._guard("transfer status", self._session.on_transfer_status, self,
                    int(prm.statusCode), bool(prm.finalNotify))

    def onCallRedirected(self, prm: Any) -> int:
        # Follow a 3xx (the callee forwards us), replacing the To header with the new target.
        self._guard("redirect", self._session.on_call_redirected, self, str(prm.targetUri))
        return int(pj.PJSIP_REDIRECT_ACCEPT_REPLACE)

    def onStreamCreated(self, prm: Any) -> None:
        # Before the stream joins the bridge: its RTCP session gets Opus's 48 kHz clock
        # (rtcp_clock.py). A new stream (re-INVITE, hold/resume) comes through here again.
        try:
            info = self.getStreamInfo(int(prm.streamIdx))
            self.jitter_valid = correct_stream(prm.stream, str(info.codecName),
                                               int(info.codecClockRate))
        except Exception:
            log.exception("stream created callback failed (call %s)", self.engine_id)
            self.jitter_valid = False

    def onStreamDestroyed(self, prm: Any) -> None:
        self._guard("stream destroyed", self._session.on_stream_destroyed, self)

    def onCallReplaced(self, prm: Any) -> None:
        self._guard("call replaced", self._session.on_call_replaced, self, prm)


@dataclass
class CallRecord:
    """The engine's view of one call, from first INVITE to DISCONNECTED."""

    call_id: int
    account: str
    direction: Direction
    call: EngineCall | None
    remote_uri: str
    display_name: str = ""
    number: str = ""
    sip_call_id: str = ""
    state: CallState | None = None
    code: int = 0
    reason: str = ""
    held: bool = False
    remote_held: bool = False
    local_hangup: bool = False
    # A call refused or redirected by a rule never rang: no CallStateChanged for it.
    silent: bool = False
    media: Any | None = None  # pj.AudioMedia while audio flows
    recorder: Any | None = None  # pj.AudioMediaRecorder
    recording_path: Path | None = None
    quality: CallQuality | None = None
    transfer_target: str = ""
    created: float = field(default_factory=time.time)
    answered_at: float | None = None
    # Who sent it, for the ghost-call guard: "ip:port" of the INVITE's sender, and the key
    # its flood counting uses (the sender, or the caller's URI when it came via our server).
    source: str = ""
    guard_key: str = ""
    media_path: MediaPath | None = None  # encryption and ICE path, read at each media update
    end_reason: str = ""  # a known local reason the call failed for ("unencrypted")
    paced: bool = False  # held back until PJSIP had free media sockets (media_sockets.py)

    @property
    def ended(self) -> bool:
        return self.state is CallState.DISCONNECTED

    @property
    def ringing_in(self) -> bool:
        return self.direction is Direction.INCOMING and self.state in (
            None, CallState.INCOMING, CallState.EARLY
        )

    @property
    def unsettled_in(self) -> bool:
        """Incoming and not a conversation yet: ringing, or answered with no ACK back (a
        scanner never sends one)."""
        return self.direction is Direction.INCOMING and self.state in (
            None, CallState.INCOMING, CallState.EARLY, CallState.CONNECTING
        )

    def snapshot(self, at: float, muted: bool) -> CallStateChanged:
        return CallStateChanged(
            at=at,
            call_id=self.call_id,
            account=self.account,
            direction=self.direction,
            state=self.state or CallState.CALLING,
            remote_uri=self.remote_uri,
            display_name=self.display_name,
            number=self.number,
            code=self.code,
            reason=self.reason,
            held=self.held,
            remote_held=self.remote_held,
            muted=muted,
            local_hangup=self.local_hangup,
            recording_path=str(self.recording_path) if self.recording_path else None,
            end_reason=self.end_reason,
        )


class CallTable:
    """The session's calls (SIP thread): engine call id -> :class:`CallRecord`, and the mute
    state each call's events show."""

    def __init__(self, emit: Callable[[Any], None]) -> None:
        self.calls: dict[int, CallRecord] = {}
        self.muted = False
        self.emit = emit

    def record(self, call_id: int) -> CallRecord:
        record = self.calls.get(call_id)
        if record is None or record.ended:
            raise CallError(f"no call {call_id} (it may have ended)")
        return record

    def live_call(self, call_id: int) -> tuple[CallRecord, EngineCall]:
        record = self.record(call_id)
        if record.call is None:
            raise CallError(f"call {call_id} is not set up yet")
        return record, record.call

    def publish(self, record: CallRecord) -> None:
        """The call's state as an event (not for silent calls: refused, forwarded)."""
        if not record.silent:
            self.emit(record.snapshot(time.time(), self.muted))

    def others_up(self, record: CallRecord) -> list[CallRecord]:
        """Calls other than ``record`` that are up or being set up: not an incoming call
        that is ringing or answered without its ACK back (a scanner's ghost never ACKs; it
        must not make the next real call "call waiting" nor stop auto-answer)."""
        return [
            r for r in self.calls.values()
            if r is not record and not r.ended and not r.silent and not r.unsettled_in
        ]


def audio_stream(call: EngineCall) -> tuple[int, int, int]:
    """(pjsua media status, media index, conference slot) of a call's first audio stream."""
    ci = call.getInfo()  # keep ci alive while reading ci.media (see recipes)
    media_list = ci.media
    for mi in media_list:
        if mi.type == pj.PJMEDIA_TYPE_AUDIO:
            return int(mi.status), int(mi.index), int(mi.audioConfSlot)
    return pj.PJSUA_CALL_MEDIA_NONE, -1, -1


def audio_media_status(call: EngineCall) -> tuple[Any | None, int, int]:
    """(audio media or None, pjsua media status, media index) of a call's first audio stream."""
    status, index, slot = audio_stream(call)
    media = None
    # Only ask for the media when it has a conference slot: asking otherwise makes pjsua2
    # log an error (a stream that is being torn down still says "active").
    if slot >= 0 and status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
        media = call.getAudioMedia(index)
    return media, status, index


def codec_label(name: str, clock_rate: int) -> str:
    """``G722/16000``, ``PCMA/8000``; Opus by its RTP clock (``opus/48000``): PJSIP reports
    the rate our codec runs at (the bridge's 16 kHz), not the codec's name in the SDP."""
    if name.lower() == "opus":
        return "opus/48000"
    return f"{name}/{clock_rate}"


def read_quality(record: CallRecord, bridge: tuple[int, int]) -> CallQuality | None:
    """Figures of the call's audio stream now, or None when it has no stream."""
    call = record.call
    if call is None:
        return None
    status, index, _slot = audio_stream(call)
    if index < 0 or status == pj.PJSUA_CALL_MEDIA_NONE:
        return None
    stat = call.getStreamStat(index)
    info = call.getStreamInfo(index)
    rtcp = stat.rtcp
    rx, tx = rtcp.rxStat, rtcp.txStat
    if str(info.codecName).lower() == "opus":
        reported_loss.observe(record.call_id, int(tx.pkt), int(tx.loss), int(tx.updateCount))
    rx_total = int(rx.pkt) + int(rx.loss)
    tx_total = int(tx.pkt) + int(tx.loss)
    return CallQuality(
        at=time.time(),
        call_id=record.call_id,
        codec=codec_label(str(info.codecName), int(info.codecClockRate)),
        rx_loss_percent=100.0 * int(rx.loss) / rx_total if rx_total else 0.0,
        tx_loss_percent=100.0 * int(tx.loss) / tx_total if tx_total else 0.0,
        jitter_ms=float(rx.jitterUsec.mean) / 1000.0 if call.jitter_valid else None,
        rtt_ms=float(rtcp.rttUsec.mean) / 1000.0,
        bridge_underruns=bridge[0],
        bridge_overruns=bridge[1],
        encryption=record.media_path.encryption if record.media_path else "",
        ice=record.media_path.ice if record.media_path else "",
    )


def wire_recorder(record: CallRecord, local_source: Any | None) -> None:
    """Feed the recorder from the far end and the local microphone (again after re-INVITE)."""
    if record.recorder is None or record.media is None:
        return
    record.media.startTransmit(record.recorder)
    if local_source is not None:
        local_source.startTransmit(record.recorder)


def release_recorder(record: CallRecord, local_source: Any | None) -> None:
    """Stop feeding and drop the recorder: destroying it finalises the WAV header."""
    recorder = record.recorder
    if recorder is None:
        return
    for source in (record.media, local_source):
        if source is not None:
            with contextlib.suppress(pj.Error):  # already gone with the media
                source.stopTransmit(recorder)
    record.recorder = None
    del recorder


def wav_is_final(path: Path) -> bool:
    """PJSIP writes the RIFF size (bytes 4-8) only when the recorder is finally destroyed."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return True  # nothing to wait for
    return len(head) < 8 or head[4:8] != b"\0\0\0\0"
