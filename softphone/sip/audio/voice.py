"""The call's voice processing (voice.c): echo canceller, noise suppressor, automatic gain.

One :class:`NativeVoice` per call audio (shared by the input and output streams when they are
two), made on the audio device thread when the microphone's call stream opens, so PJSIP's
canceller is created at the first call and never at start. The PortAudio callbacks feed it in
C (native.c): every frame the speaker plays, every microphone frame before it is queued for
PJSIP. :class:`VoiceSwitch` replaces it during a call when Settings > Audio change, keeping
the old state alive until no callback can still be using it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from softphone.sip.audio import native

log = logging.getLogger("softphone.sip.audio")


@dataclass(frozen=True)
class VoiceWanted:
    echo_cancellation: bool = True
    noise_suppression: bool = True
    automatic_gain: bool = False
    echo_tail_ms: int = 250
    echo_canceller: str = "speex"  # or "webrtc" (see voice.c and bench/README.md)


class NativeVoice:
    """sp_voice: open at once (device thread), closed by :meth:`close` (device thread, after
    the streams that used it stopped or let go of it)."""

    def __init__(self, rate: int, samples: int, wanted: VoiceWanted, latency_ms: int,
                 duplex: bool = False) -> None:
        ffi, lib = native.ffi, native.lib
        self.c = ffi.new("sp_voice *")
        self.wanted = wanted
        self.latency_ms = latency_ms
        lib.sp_voice_open(self.c, rate, samples, int(wanted.echo_cancellation),
                          int(wanted.noise_suppression), int(wanted.automatic_gain),
                          wanted.echo_tail_ms, latency_ms,
                          int(wanted.echo_canceller == "webrtc"), int(duplex))
        self.note = ffi.string(lib.sp_voice_error()).decode(errors="replace")
        self.closed = False
        log.info("call voice at %d Hz: echo canceller %s, noise suppression %s, gain %s, "
                 "latency %d ms%s", rate, self.canceller or "off",
                 "on" if self.noise_suppression else "off",
                 "on" if self.automatic_gain else "off", latency_ms,
                 f" ({self.note})" if self.note else "")

    @property
    def echo_cancellation(self) -> bool:
        return bool(self.c.aec)

    @property
    def noise_suppression(self) -> bool:
        return bool(self.c.ns)

    @property
    def automatic_gain(self) -> bool:
        return bool(self.c.agc_on)

    @property
    def canceller(self) -> str:
        lib = native.lib
        return {lib.SP_EC_SPEEX: "Speex", lib.SP_EC_WEBRTC: "WebRTC",
                lib.SP_EC_PJ_SPEEX: "Speex (pjmedia)"}.get(int(self.c.kind), "") \
            if self.c.aec else ""

    @property
    def gain_db(self) -> float:
        return float(self.c.gain.gain_db)

    def set_automatic_gain(self, on: bool) -> None:
        self.c.agc_on = 1 if on else 0

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            native.lib.sp_voice_close(self.c)


class VoiceSwitch:
    """The current call's voice state and the ones being retired (device thread)."""

    RETIRE_AFTER = 0.2  # s: longer than any PortAudio period that may still hold the pointer

    def __init__(self) -> None:
        self.current: NativeVoice | None = None
        self._retired: list[tuple[float, NativeVoice]] = []

    def retire(self, voice: NativeVoice | None, now: float | None = None) -> None:
        if voice is not None:
            self._retired.append((time.monotonic() if now is None else now, voice))

    def reap(self, streams_running: bool, now: float | None = None) -> None:
        """Close retired states no callback can hold any more."""
        now = time.monotonic() if now is None else now
        keep = []
        for since, voice in self._retired:
            if not streams_running or now - since >= self.RETIRE_AFTER:
                voice.close()
            else:
                keep.append((since, voice))
        self._retired = keep
