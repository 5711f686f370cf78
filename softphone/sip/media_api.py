"""The seam between the SIP engine and the sound system.

The engine owns calls; an :class:`AudioBackend` owns sound devices, tones and the
``AudioMediaPort`` bridge. The engine calls these methods **on the SIP thread only** (the
thread that owns the Endpoint), so a backend may call pjsua2 from them. ``NullAudioBackend``
is used when there is no sound system at all: calls still connect, silently.

Contract between softphone/sip/engine.py and softphone/sip/audio/: add methods with a default
in NullAudioBackend, never rename.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from softphone.sip.events import SipEvent

EmitFn = Callable[[SipEvent], None]


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    host_api: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False


class NullAudioBackend:
    """No sound at all. Every method is a no-op; ``local_source`` is None."""

    #: Human-readable reason the backend is silent (shown to the user), or "" when it is not.
    unavailable_reason: str = ""

    def start(self, endpoint: Any, emit: EmitFn) -> None:
        """Called once on the SIP thread after the Endpoint is created and started."""

    def stop(self) -> None:
        """Called on the SIP thread before ``libDestroy``: drop every pjsua2 object held."""

    # --- call audio ------------------------------------------------------------------------
    def connect_call(self, call_id: int, call_media: Any) -> None:
        """Audio of a call is up (and after every re-INVITE): wire it to the devices.

        ``call_media`` is the call's ``pj.AudioMedia``. Re-wire on every call; PJSIP drops all
        conference connections after hold/unhold.
        """

    def disconnect_call(self, call_id: int, call_media: Any | None) -> None:
        """A call's audio stopped (hold, hang-up)."""

    def local_source(self) -> Any | None:
        """The ``pj.AudioMedia`` that carries the user's microphone, for recorders/conferences."""
        return None

    def set_mute(self, muted: bool) -> None:
        """Microphone muted: send silence (and report a zero mic level)."""

    # --- sounds ----------------------------------------------------------------------------
    def start_ringing(self, waiting: bool) -> None:
        """An incoming call rings; ``waiting`` means a call is up: beep in the call output."""

    def stop_ringing(self) -> None:
        """No incoming call rings any more."""

    def play_tone(self, kind: str) -> None:
        """``ringback`` (until stop_tone), ``busy``, ``failed`` (short, stop by themselves)."""

    def stop_tone(self) -> None:
        """Stop ringback or any other progress tone."""

    def dtmf_feedback(self, digit: str) -> None:
        """Short local feedback tone for a key the user pressed."""

    # --- recordings (unlike the rest, callable from any thread) ----------------------------
    def play_clip(self, clip: Any) -> bool:
        """Play a ``player.Clip`` in the call output; False when there is no sound to play
        it on. Pause by setting ``clip.paused`` and calling this again to resume."""
        return False

    def stop_clip(self) -> None:
        """Stop the recording being played, if any."""

    # --- devices and figures ---------------------------------------------------------------
    def list_devices(self) -> list[DeviceInfo]:
        return []

    def set_devices(self, input: str | None, output: str | None, ringer: str | None) -> None:
        """Choose devices by name (None: the system default)."""

    def set_ring_volume(self, volume: float) -> None:
        """0.0 .. 1.0."""

    def set_voice_processing(self, echo_cancellation: bool, noise_suppression: bool,
                             automatic_gain: bool, echo_tail_ms: int) -> None:
        """What runs on the call's microphone (Settings > Audio); applies to a call in
        progress too."""

    def levels(self) -> tuple[float, float]:
        """(microphone, speaker) peak levels 0.0 .. 1.0 over the last period."""
        return (0.0, 0.0)

    def bridge_counters(self) -> tuple[int, int]:
        """(underruns, overruns) of the device bridge since start."""
        return (0, 0)

    def poll(self) -> None:
        """Called on the SIP thread about every 100 ms: emit level/device events if needed."""
