"""Playing a call recording (a WAV file) through the call output device.

:func:`load_recording` reads the whole file into memory as mono int16 (call recordings are
16 kHz mono: about 2 MB a minute) and raises :class:`RecordingError` with a ``kind`` the UI
turns into a sentence. A :class:`Clip` is what the backend's output callback mixes in
(``PortAudioBackend.play_clip``): the callback alone moves ``pos``; other threads only store
``paused`` and ``seek_to`` (single reference stores, no locks), and read ``position``.

The clip keeps the file's own rate and is resampled (linear interpolation) in the callback to
whatever rate the output stream runs at, so the device may change rate mid-playback.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]


class RecordingError(Exception):
    """A recording that cannot be played. ``kind``: missing | unreadable | format | empty."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


def load_recording(path: Path | str) -> Clip:
    """The WAV at ``path`` as a clip (8/16/32-bit PCM, any rate, mono or multichannel)."""
    return Clip(*decode_wav(path))


def decode_wav(path: Path | str) -> tuple[npt.NDArray[np.int16], int]:
    """A PCM WAV (8/16/32-bit, any rate, mono or multichannel) as mono int16 and its rate;
    raises RecordingError saying what is wrong with it."""
    p = Path(path)
    if not p.is_file():
        raise RecordingError("missing", str(p))
    try:
        with wave.open(str(p), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except wave.Error as exc:
        # Also what a float or compressed WAV gives ("unknown format: 3").
        raise RecordingError("format", str(exc)) from None
    except (OSError, EOFError) as exc:
        raise RecordingError("unreadable", str(exc)) from None
    if width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    elif width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.int32) - 128) << 8
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4") >> 16
    else:
        raise RecordingError("format", f"{width * 8}-bit samples")
    if channels > 1:
        data = data[: len(data) // channels * channels].reshape(-1, channels).mean(axis=1)
    if rate <= 0 or len(data) == 0:
        raise RecordingError("empty", str(p))
    return np.asarray(data, dtype=np.int16), rate


class Clip:
    """A recording being played; see the module docstring for who touches what."""

    __slots__ = ("_ramp", "done", "paused", "pos", "rate", "samples", "seek_to")

    def __init__(self, samples: Samples, rate: int) -> None:
        self.samples = samples
        self.rate = rate
        self.pos = 0.0  # in source samples; only the audio callback writes it
        self.paused = False
        self.done = False
        self.seek_to: float | None = None  # a request (seconds) the callback applies
        self._ramp = np.zeros(0)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def position(self) -> float:
        """Seconds played (a pending seek counts as done: the slider must not jump back)."""
        seek = self.seek_to
        return seek if seek is not None else min(self.pos / self.rate, self.duration)

    @property
    def active(self) -> bool:
        """Wants the output device: neither paused nor finished."""
        return not self.paused and not self.done

    def seek(self, seconds: float) -> None:
        self.seek_to = min(max(0.0, seconds), self.duration)
        self.done = False

    def rewind(self) -> None:
        self.seek(0.0)

    def mix_into(self, out: npt.NDArray[np.int32], out_rate: int) -> bool:
        """Audio-callback side: add the next ``len(out)`` output samples; True if it played."""
        seek = self.seek_to
        if seek is not None:
            self.seek_to = None
            self.pos = seek * self.rate
        if self.paused or self.done:
            return False
        src = self.samples
        last = len(src) - 1
        n = len(out)
        if len(self._ramp) != n:
            self._ramp = np.arange(n, dtype=np.float64)  # once per block size, not per call
        idx = self.pos + self._ramp * (self.rate / out_rate)
        take = int(np.searchsorted(idx, last, side="right"))  # idx is increasing
        if take:
            i0 = idx[:take].astype(np.int64)
            frac = idx[:take] - i0
            s0 = src[i0].astype(np.float64)
            s1 = src[np.minimum(i0 + 1, last)]
            out[:take] += (s0 + (s1 - s0) * frac).astype(np.int32)
        if take < n:
            self.done = True
            self.pos = float(len(src))
        else:
            self.pos = float(idx[-1]) + self.rate / out_rate
        return True
