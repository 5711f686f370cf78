"""The sounds the phone makes itself: progress tones, key feedback, the call-waiting beep,
the ringtone and a recording being played. The backend starts and stops them (SIP thread, or
any thread for a recording); the PortAudio callbacks mix them in (callbacks.py), reading these
attributes with plain loads: no locks on PortAudio's threads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from softphone.sip.audio import tones
from softphone.sip.audio.player import Clip


class LocalSounds:
    def __init__(self, ring_volume: float, live: Callable[[], Sequence[Any]]) -> None:
        self.progress = tones.ToneSlot()  # ringback, busy, failed
        self.keys = tones.ToneSlot()  # DTMF feedback
        self.waiting = tones.ToneSlot()  # call waiting
        self.ring = tones.ToneSlot()  # the ringtone (ringer device, or the call output)
        self.clip: Clip | None = None  # a recording being played (player.py)
        self.ring_in_output = False  # no ringer stream could open: ring in the call output
        self.ring_volume = min(1.0, max(0.0, ring_volume))
        self.extras_seq = 0  # moves whenever a local sound starts (see set_extras)
        self._live = live  # the C stream states running now (the device thread's tuple)
        self._cache: dict[tuple[str, int], tones.Samples] = {}

    def sound(self, kind: str, rate: int) -> tones.Samples:
        """The samples of ``kind`` at ``rate``, made once."""
        key = (kind, rate)
        s = self._cache.get(key)
        if s is None:
            if kind == "ringtone":
                s = tones.load_ringtone(rate)
            elif kind.startswith("dtmf:"):
                s = tones.dtmf(rate, kind[5:])
            else:
                s = {"ringback": tones.ringback, "busy": tones.busy, "failed": tones.failed,
                     "waiting": tones.call_waiting}[kind](rate)
            self._cache[key] = s
        return s

    def play(self, slot: tones.ToneSlot, kind: str, rate: int, loop: bool) -> None:
        slot.play(self.sound(kind, rate), loop=loop)
        self.set_extras()

    def output_wanted(self) -> bool:
        """A tone or a recording plays in the call output (the ringtone counts apart)."""
        clip = self.clip
        return (self.progress.active or self.keys.active or self.waiting.active
                or (clip is not None and clip.active))

    def extras_wanted(self) -> bool:
        return self.output_wanted() or self.ring_in_output

    def set_extras(self, state: Any = None) -> None:
        """A local sound starts (any thread): the C callbacks call their Python mixing hook
        from the next period on; the hook turns itself off once nothing is left to mix
        (:meth:`extras_done`). With ``state``: a stream being opened, on only if needed."""
        if state is not None:
            state.set_extras(self.extras_wanted())
            return
        self.extras_seq += 1
        for st in self._live():
            st.set_extras(True)

    def extras_done(self, state: Any, seq: int) -> None:
        """PortAudio thread, after the hook mixed a period: nothing left to mix, so C stops
        calling it; unless a sound started meanwhile (``seq`` moved), then it stays on."""
        if not self.extras_wanted():
            state.set_extras(False)
            if self.extras_seq != seq:
                state.set_extras(True)
