"""The call's voice processing as the backend runs it: what the settings want, the state the
microphone's stream runs (made by the device thread when that stream opens, replaced when the
settings change during a call, retired when the microphone closes), and what the SIP thread
reports of it."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import Any

from softphone.sip.audio import native
from softphone.sip.audio.streams import AudioPath, StreamRecord
from softphone.sip.audio.voice import NativeVoice, VoiceSwitch, VoiceWanted
from softphone.sip.events import VoiceProcessing
from softphone.sip.media_api import EmitFn

log = logging.getLogger("softphone.sip.audio")


class CallVoice:
    def __init__(self, wanted: VoiceWanted) -> None:
        self.wanted = wanted  # SIP thread writes it (one reference store), device thread reads
        self.switch = VoiceSwitch()  # device thread
        self.dirty = False  # the settings changed during a call: rebuild on the device thread
        self._reported: tuple[Any, ...] | None = None

    # --- SIP thread ---------------------------------------------------------------------------
    def set_wanted(self, echo_cancellation: bool, noise_suppression: bool,
                   automatic_gain: bool, echo_tail_ms: int) -> bool:
        """Gain switches at once; True when the device thread must rebuild the state (a
        changed canceller or suppressor: a call in progress keeps its sound meanwhile)."""
        self.wanted = VoiceWanted(echo_cancellation, noise_suppression, automatic_gain,
                                  echo_tail_ms, self.wanted.echo_canceller)
        voice = self.switch.current
        if voice is not None:
            voice.set_automatic_gain(automatic_gain)
            if (voice.wanted.echo_cancellation, voice.wanted.noise_suppression,
                    voice.wanted.echo_tail_ms) == (echo_cancellation, noise_suppression,
                                                   echo_tail_ms):
                return False
        elif not (automatic_gain or echo_cancellation or noise_suppression):
            return False
        self.dirty = True
        return True

    def state(self) -> dict[str, Any]:
        """What runs on the microphone now (diagnostics and tests)."""
        v = self.switch.current
        if v is None:
            return {"echo_cancellation": False, "noise_suppression": False,
                    "automatic_gain": False, "canceller": "", "note": "", "gain_db": 0.0}
        return {"echo_cancellation": v.echo_cancellation,
                "noise_suppression": v.noise_suppression, "automatic_gain": v.automatic_gain,
                "canceller": v.canceller, "note": v.note, "gain_db": v.gain_db,
                "latency_ms": v.latency_ms, "errors": int(v.c.errors)}

    def report(self, emit: EmitFn | None) -> None:
        v = self.switch.current
        state = (v.echo_cancellation, v.noise_suppression, v.automatic_gain, v.canceller,
                 v.note) if v is not None else (False, False, False, "", "")
        if state != self._reported and emit is not None:
            self._reported = state
            emit(VoiceProcessing(time.time(), *state))

    # --- device thread ------------------------------------------------------------------------
    def attach(self, state: Any, stream: Any, in_path: AudioPath | None,
               out_path: AudioPath | None, out_rate: int, live: Sequence[Any]) -> None:
        """A call stream's C state opens: give it the call's voice processing, made now when
        this stream carries the microphone (the first call loads the canceller). ``live``:
        the C states already running."""
        voice = self.switch.current
        if voice is None and in_path is not None:
            duplex = out_path is not None
            voice = self._new(in_path, latency_ms(stream, True, duplex), duplex, out_rate)
            if voice is not None and not duplex:
                for other in live:
                    other.set_voice(voice)  # an output stream opened before (ringback)
        elif voice is not None and voice.c.sync:
            voice = None  # fed by its duplex stream alone
        state.set_voice(voice)

    def _new(self, in_path: AudioPath, latency: int, duplex: bool,
             out_rate: int) -> NativeVoice | None:
        w = self.wanted
        if not (native.available() and (w.echo_cancellation or w.noise_suppression
                                         or w.automatic_gain)):
            return None
        # the canceller compares speaker and microphone frames one for one: both at one rate
        differ = not duplex and out_rate != in_path.rate and w.echo_cancellation
        if differ:
            w = dataclasses.replace(w, echo_cancellation=False)
        try:
            voice = NativeVoice(in_path.rate, in_path.samples, w, latency, duplex)
        except Exception:
            log.exception("the call's voice processing failed to start")
            return None
        if differ:
            voice.note = (f"no echo cancellation: the speaker runs at {out_rate} Hz, "
                          f"the microphone at {in_path.rate} Hz")
            log.info("call voice: %s", voice.note)
        self.switch.current = voice
        return voice

    def refresh(self, mic: StreamRecord | None, in_path: AudioPath, out_rate: int,
                live: Sequence[Any]) -> None:
        """Settings changed during a call: a new state replaces the old one in every running
        call stream; the old one is closed once no callback can hold it."""
        if self.dirty:
            self.dirty = False
            old = self.switch.current
            self.switch.current = None
            new = None
            if mic is not None and mic.native is not None:
                duplex = mic.role == "duplex"
                latency = old.latency_ms if old is not None else \
                    latency_ms(mic.stream, True, duplex)
                new = self._new(in_path, latency, duplex, out_rate)
            for st in live:
                st.set_voice(new)
            self.switch.retire(old)
        self.switch.reap(bool(live))

    def microphone_closed(self, live: Sequence[Any]) -> None:
        """The microphone is gone: so is the call's voice state (a new one comes with it)."""
        if self.switch.current is not None:
            voice, self.switch.current = self.switch.current, None
            for st in live:
                st.set_voice(None)
            self.switch.retire(voice)
            self.switch.reap(bool(live))

    def close(self) -> None:
        """The device thread ends: every state is closed."""
        self.switch.retire(self.switch.current)
        self.switch.current = None
        self.switch.reap(False)


def latency_ms(stream: Any, has_input: bool, has_output: bool) -> int:
    """Capture plus playback latency PortAudio reports for a stream (ms): how much later the
    speaker's sound can come back in the microphone than the frame was handed over. A stream
    with one direction counts it twice (the other is a twin device)."""
    try:
        lat = stream.latency
        both = isinstance(lat, tuple | list)
        total = float(lat[0]) + float(lat[1]) if both else 2 * float(lat)
    except Exception:
        total = 0.06
    return max(0, min(500, round(total * 1000)))
