"""Sound for the SIP engine: PortAudio devices bridged into PJSIP's conference bridge.

:func:`create_audio_backend` is the entry point: it returns a :class:`PortAudioBackend`, or a
silent :class:`UnavailableAudioBackend` (a ``NullAudioBackend``) that tells the user what is
missing when PortAudio cannot be loaded or there is no sound device at all. It never raises.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from softphone.settings import AudioSettings
from softphone.sip.events import AudioDeviceNotice
from softphone.sip.media_api import EmitFn, NullAudioBackend

log = logging.getLogger("softphone.sip.audio")

__all__ = ["UnavailableAudioBackend", "create_audio_backend"]


class UnavailableAudioBackend(NullAudioBackend):
    """Silent backend that tells the user why (once, when the engine starts it)."""

    def __init__(self, reason: str, told: bool = False) -> None:
        self.unavailable_reason = reason
        self._told = told

    def start(self, endpoint: Any, emit: EmitFn) -> None:
        if not self._told:
            self._told = True
            emit(unavailable_notice(self.unavailable_reason))


def unavailable_notice(reason: str) -> AudioDeviceNotice:
    return AudioDeviceNotice(at=time.time(), kind="unavailable", message=reason)


def create_audio_backend(settings: AudioSettings, emit: EmitFn | None = None) -> NullAudioBackend:
    """The PortAudio backend, or a silent one (with ``unavailable_reason``) when there is none.

    ``emit`` (optional) receives the ``AudioDeviceNotice(kind="unavailable")`` at once; without
    it the notice is emitted when the engine calls ``start``.
    """
    from softphone.sip.audio import devices as dev

    try:
        sd = dev.load_portaudio()
        devices = dev.list_devices(sd)
    except dev.PortAudioUnavailable as exc:
        reason = str(exc)
    except Exception as exc:  # PortAudio loaded but failed in a way we did not foresee
        log.exception("PortAudio failed to start")
        reason = f"The sound system failed to start ({exc}). {dev.HOW_TO_FIX}"
    else:
        if dev.has_any_device(devices):
            from softphone.sip.audio.backend import PortAudioBackend

            return PortAudioBackend(sd, settings, devices)
        reason = (
            "No sound device was found: calls connect but you will hear nothing. Plug in a "
            "headset or check that your user may use the sound card (group 'audio') and that "
            "PulseAudio/PipeWire is running."
        )
    log.warning("sound unavailable: %s", reason)
    if emit is not None:
        emit(unavailable_notice(reason))
        return UnavailableAudioBackend(reason, told=True)
    return UnavailableAudioBackend(reason)
