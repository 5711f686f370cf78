"""A shield between the engine and the audio backend.

A sound problem (a device gone, a bug in a backend) must never stop a call from being set up
or torn down: every hook the engine calls goes through :class:`GuardedAudio`, which logs the
failure and carries on with what a silent backend would have done.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from softphone.sip import events as ev
from softphone.sip.media_api import EmitFn, NullAudioBackend

log = logging.getLogger("softphone.sip.audio")


class GuardedAudio:
    """Calls the real backend's hooks; an exception is logged and reported once per hook."""

    def __init__(self, backend: NullAudioBackend) -> None:
        self.backend = backend
        self._emit: EmitFn | None = None
        self._reported: set[str] = set()

    def _call(self, hook: str, default: Any, *args: Any) -> Any:
        try:
            return getattr(self.backend, hook)(*args)
        except Exception as exc:
            log.exception("audio backend failed in %s", hook)
            if hook not in self._reported and self._emit is not None:
                self._reported.add(hook)
                self._emit(ev.AudioDeviceNotice(
                    at=time.time(), kind="unavailable",
                    message=f"Sound problem ({hook}): {exc}",
                ))
            return default

    def start(self, endpoint: Any, emit: EmitFn) -> None:
        self._emit = emit
        self._call("start", None, endpoint, emit)

    def stop(self) -> None:
        self._call("stop", None)

    def connect_call(self, call_id: int, call_media: Any) -> None:
        self._call("connect_call", None, call_id, call_media)

    def disconnect_call(self, call_id: int, call_media: Any | None) -> None:
        self._call("disconnect_call", None, call_id, call_media)

    def local_source(self) -> Any | None:
        return self._call("local_source", None)

    def set_mute(self, muted: bool) -> None:
        self._call("set_mute", None, muted)

    def set_voice_processing(self, echo_cancellation: bool, noise_suppression: bool,
                             automatic_gain: bool, echo_tail_ms: int) -> None:
        self._call("set_voice_processing", None, echo_cancellation, noise_suppression,
                   automatic_gain, echo_tail_ms)

    def start_ringing(self, waiting: bool) -> None:
        self._call("start_ringing", None, waiting)

    def stop_ringing(self) -> None:
        self._call("stop_ringing", None)

    def play_tone(self, kind: str) -> None:
        self._call("play_tone", None, kind)

    def stop_tone(self) -> None:
        self._call("stop_tone", None)

    def dtmf_feedback(self, digit: str) -> None:
        self._call("dtmf_feedback", None, digit)

    def bridge_counters(self) -> tuple[int, int]:
        counters = self._call("bridge_counters", (0, 0))
        return counters if isinstance(counters, tuple) else (0, 0)

    def poll(self) -> None:
        self._call("poll", None)
