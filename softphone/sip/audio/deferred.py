"""PortAudio loaded at the first need for sound, not when the phone starts.

Loading ``sounddevice`` initialises PortAudio, which loads and probes the host APIs (ALSA,
JACK, ...): ~4 MiB of resident memory at start-up on a machine without sound devices, more
with them (bench/bench_startup.py), for an app that may sit idle for hours. The
:class:`DeferredAudioBackend` stands in for the real backend until something needs sound:
an incoming call rings, a call connects, a tone plays, the devices are listed (the audio
settings page, a call's output picker), a recording plays. It then builds the real backend
(:func:`softphone.sip.audio.create_audio_backend`: PortAudio, or a silent backend that tells
the user why) and starts it, on the SIP thread, in ~35 ms on a machine without devices.

Everything but ``play_clip``/``stop_clip`` runs on the SIP thread, like the real backend's
hooks; a recording asked for from the UI before sound was loaded is played once the SIP
thread's next audio poll (<= 100 ms) has loaded it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from softphone.settings import AudioSettings
from softphone.sip.media_api import DeviceInfo, EmitFn, NullAudioBackend

log = logging.getLogger("softphone.sip.audio")

Factory = Callable[[AudioSettings], NullAudioBackend]


class DeferredAudioBackend(NullAudioBackend):
    """The audio backend, created and started when sound is first needed."""

    def __init__(self, settings: AudioSettings, factory: Factory | None = None) -> None:
        self._settings = settings
        self._factory = factory
        self._real: NullAudioBackend | None = None
        self._endpoint: Any = None
        self._emit: EmitFn | None = None
        self._started = False
        self._stopped = False
        self._lock = threading.Lock()  # play_clip / stop_clip come from other threads
        self._clip: Any = None
        self._load_requested = False
        self._devices: tuple[str | None, str | None, str | None] | None = None
        self._ring_volume: float | None = None
        self._voice: tuple[bool, bool, bool, int] | None = None
        self._muted = False

    @property
    def unavailable_reason(self) -> str:  # type: ignore[override]
        real = self._real
        return real.unavailable_reason if real is not None else ""

    @property
    def loaded(self) -> bool:
        return self._real is not None

    def _load(self) -> NullAudioBackend:
        """The real backend, created and started now if it is not yet (SIP thread)."""
        real = self._real
        if real is not None:
            return real
        started = time.monotonic()
        if self._factory is not None:
            real = self._factory(self._settings)
        else:
            from softphone.sip.audio import create_audio_backend

            real = create_audio_backend(self._settings)
        if self._started and not self._stopped:
            real.start(self._endpoint, self._emit or (lambda _e: None))
        if self._devices is not None:
            real.set_devices(*self._devices)
        if self._ring_volume is not None:
            real.set_ring_volume(self._ring_volume)
        if self._voice is not None:
            real.set_voice_processing(*self._voice)
        if self._muted:
            real.set_mute(True)
        with self._lock:
            self._real = real
            clip, self._clip = self._clip, None
        if clip is not None:
            real.play_clip(clip)
        log.info("sound loaded at first need (%s) in %.0f ms", type(real).__name__,
                 (time.monotonic() - started) * 1000)
        return real

    # --- life cycle (SIP thread) -----------------------------------------------------------
    def start(self, endpoint: Any, emit: EmitFn) -> None:
        self._endpoint, self._emit, self._started = endpoint, emit, True

    def stop(self) -> None:
        self._stopped = True
        if self._real is not None:
            self._real.stop()

    def poll(self) -> None:
        if self._real is None:
            if not self._load_requested:
                return
            self._load()
        assert self._real is not None
        self._real.poll()

    # --- what needs sound: load it (SIP thread) --------------------------------------------
    def connect_call(self, call_id: int, call_media: Any) -> None:
        self._load().connect_call(call_id, call_media)

    def local_source(self) -> Any | None:
        return self._load().local_source()

    def start_ringing(self, waiting: bool) -> None:
        self._load().start_ringing(waiting)

    def play_tone(self, kind: str) -> None:
        self._load().play_tone(kind)

    def dtmf_feedback(self, digit: str) -> None:
        self._load().dtmf_feedback(digit)

    def list_devices(self) -> list[DeviceInfo]:
        return self._load().list_devices()

    # --- what is nothing to do without sound (SIP thread) ----------------------------------
    def disconnect_call(self, call_id: int, call_media: Any | None) -> None:
        if self._real is not None:
            self._real.disconnect_call(call_id, call_media)

    def stop_ringing(self) -> None:
        if self._real is not None:
            self._real.stop_ringing()

    def stop_tone(self) -> None:
        if self._real is not None:
            self._real.stop_tone()

    def set_mute(self, muted: bool) -> None:
        self._muted = muted
        if self._real is not None:
            self._real.set_mute(muted)

    def set_devices(self, input: str | None, output: str | None, ringer: str | None) -> None:
        self._devices = (input, output, ringer)
        if self._real is not None:
            self._real.set_devices(input, output, ringer)

    def set_ring_volume(self, volume: float) -> None:
        self._ring_volume = volume
        if self._real is not None:
            self._real.set_ring_volume(volume)

    def set_voice_processing(self, echo_cancellation: bool, noise_suppression: bool,
                             automatic_gain: bool, echo_tail_ms: int) -> None:
        """Kept for the backend made at the first need (nothing loads for it now)."""
        self._voice = (echo_cancellation, noise_suppression, automatic_gain, echo_tail_ms)
        if self._real is not None:
            self._real.set_voice_processing(*self._voice)

    def levels(self) -> tuple[float, float]:
        return self._real.levels() if self._real is not None else (0.0, 0.0)

    def bridge_counters(self) -> tuple[int, int]:
        return self._real.bridge_counters() if self._real is not None else (0, 0)

    # --- recordings (any thread) -----------------------------------------------------------
    def play_clip(self, clip: Any) -> bool:
        with self._lock:
            real = self._real
            if real is None:  # loaded by the SIP thread's next poll, then played
                self._clip = clip
                self._load_requested = True
                return True
        return real.play_clip(clip)

    def stop_clip(self) -> None:
        with self._lock:
            real = self._real
            self._clip = None
            self._load_requested = False  # nothing left to play: no need to load sound
        if real is not None:
            real.stop_clip()

    def __getattr__(self, name: str) -> Any:
        # figures the real backend has beyond the engine API (diagnostics, benchmarks), once
        # it exists: asking for them never loads sound (that may be another thread)
        real = self.__dict__.get("_real")
        if name.startswith("_") or real is None:
            raise AttributeError(name)
        return getattr(real, name)
