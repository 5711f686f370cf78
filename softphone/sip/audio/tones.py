"""Local sounds: ringtone, call-waiting beep, progress tones and DTMF key feedback.

Every sound is an int16 mono numpy array at the device's rate, built once with numpy (no
allocation happens while it plays). A :class:`ToneSlot` is what the PortAudio callback reads
from: the SIP thread swaps the :class:`Playing` object in one reference assignment, the callback
advances its position; no locks on either side.

Tone plans (European/ETSI style, fit for a desk phone):

* ringback: 425 Hz, 1 s on, 4 s off (loops until ``stop_tone``)
* busy: 425 Hz, 0.5 s on, 0.5 s off, three times
* failed: the special-information tone 950/1400/1800 Hz, 0.33 s each, once
* call waiting: two 0.15 s beeps at 1400 Hz, then 3.7 s quiet (loops while it rings)
* ringtone: a three-note arpeggio (659/831/988 Hz) twice, then 2 s quiet (loops)
* DTMF: the two DTMF frequencies of the key for 0.12 s
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]

RINGBACK_HZ = 425.0
WAITING_HZ = 1400.0
RING_NOTES_HZ = (659.26, 830.61, 987.77)
SIT_HZ = (950.0, 1400.0, 1800.0)

DTMF_HZ: dict[str, tuple[float, float]] = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
    "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
}  # fmt: skip

SOUNDS_DIR = Path(__file__).resolve().parents[3] / "resources" / "sounds"


def _tone(rate: int, freqs: tuple[float, ...], seconds: float, level: float = 0.3) -> Samples:
    n = round(rate * seconds)
    t = np.arange(n) / rate
    wave_ = sum(np.sin(2 * np.pi * f * t) for f in freqs) / max(1, len(freqs))
    # 5 ms raised-cosine ramps so that tones start and stop without clicks.
    ramp = min(n // 2, int(rate * 0.005))
    if ramp:
        env = np.ones(n)
        r = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, ramp))
        env[:ramp] = r
        env[-ramp:] = r[::-1]
        wave_ = wave_ * env
    return np.asarray(np.round(wave_ * level * 32767), dtype=np.int16)


def _silence(rate: int, seconds: float) -> Samples:
    return np.zeros(round(rate * seconds), dtype=np.int16)


def ringback(rate: int) -> Samples:
    return np.concatenate([_tone(rate, (RINGBACK_HZ,), 1.0), _silence(rate, 4.0)])


def busy(rate: int) -> Samples:
    one = np.concatenate([_tone(rate, (RINGBACK_HZ,), 0.5), _silence(rate, 0.5)])
    return np.concatenate([one, one, one])


def failed(rate: int) -> Samples:
    parts = [_tone(rate, (f,), 0.33) for f in SIT_HZ]
    return np.concatenate([*parts, _silence(rate, 0.2)])


def call_waiting(rate: int) -> Samples:
    beep = _tone(rate, (WAITING_HZ,), 0.15, level=0.25)
    return np.concatenate([beep, _silence(rate, 0.15), beep, _silence(rate, 3.7)])


def ringtone(rate: int) -> Samples:
    notes = [_tone(rate, (f,), 0.15, level=0.5) for f in RING_NOTES_HZ]
    return np.concatenate([*notes, *notes, _silence(rate, 2.1)])


def dtmf(rate: int, digit: str) -> Samples:
    freqs = DTMF_HZ.get(digit.upper())
    if freqs is None:
        return _silence(rate, 0.0)
    return _tone(rate, (float(freqs[0]), float(freqs[1])), 0.12, level=0.25)


def read_wav(path: Path, rate: int) -> Samples | None:
    """A PCM WAV as mono int16 at ``rate`` (linear resampling), or None if unusable."""
    from softphone.sip.audio.player import RecordingError, decode_wav

    try:
        data, src_rate = decode_wav(path)
    except RecordingError:
        return None
    if src_rate == rate:
        return data
    n = int(len(data) * rate / src_rate)
    return np.interp(np.arange(n) * src_rate / rate, np.arange(len(data)), data).astype(np.int16)


def write_wav(path: Path, samples: Samples, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def load_ringtone(rate: int, path: Path | None = None) -> Samples:
    """The ringtone WAV from resources/sounds (or ``path``), else the built-in arpeggio."""
    data = read_wav(path or SOUNDS_DIR / "ringtone.wav", rate)
    return data if data is not None and len(data) else ringtone(rate)


class Playing:
    """One sound being played; only the audio callback thread moves ``pos``."""

    __slots__ = ("done", "loop", "pos", "samples")

    def __init__(self, samples: Samples, loop: bool) -> None:
        self.samples = samples
        self.loop = loop
        self.pos = 0
        self.done = len(samples) == 0

    def read(self, out: npt.NDArray[np.int32]) -> None:
        """Add the next ``len(out)`` samples into ``out`` (int32 mixing buffer)."""
        n, pos, src = len(out), self.pos, self.samples
        filled = 0
        while filled < n and not self.done:
            take = min(n - filled, len(src) - pos)
            out[filled : filled + take] += src[pos : pos + take]
            filled += take
            pos += take
            if pos >= len(src):
                if self.loop:
                    pos = 0
                else:
                    self.done = True
        self.pos = pos


class ToneSlot:
    """A place for at most one sound; the SIP thread sets it, the audio callback plays it."""

    __slots__ = ("current",)

    def __init__(self) -> None:
        self.current: Playing | None = None

    def play(self, samples: Samples, loop: bool) -> None:
        self.current = Playing(samples, loop)

    def stop(self) -> None:
        self.current = None

    @property
    def active(self) -> bool:
        cur = self.current
        return cur is not None and not cur.done

    def mix_into(self, out: npt.NDArray[np.int32]) -> bool:
        """Audio-callback side: add the sound into ``out``; True if something played."""
        cur = self.current
        if cur is None or cur.done:
            return False
        cur.read(out)
        return True
