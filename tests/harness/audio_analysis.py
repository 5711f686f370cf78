"""Check audio by frequency: read a WAV, find its dominant tone (Hann-windowed rfft)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

TOLERANCE_HZ = 5.0

Samples = npt.NDArray[np.float64]


def read_wav(path: Path | str) -> tuple[Samples, int]:
    """Mono float samples in [-1, 1] (channels averaged) and the sample rate of a PCM WAV.

    Handles 8/16/32-bit integer PCM, which is what pjsua2, baresip and sox write here.
    """
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        channels = w.getnchannels()
        width = w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0
    else:
        raise ValueError(f"{path}: unsupported sample width {width}")
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    return data, rate


def rms(samples: Samples) -> float:
    return float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0.0


def dominant_frequency(samples: Samples, rate: int) -> float:
    """The frequency (Hz) of the strongest bin of a Hann-windowed rfft, refined parabolically.

    Raises ValueError on fewer than 64 samples or pure silence.
    """
    x = np.asarray(samples, dtype=np.float64)
    if len(x) < 64:
        raise ValueError(f"too few samples ({len(x)}) to find a frequency")
    x = x - x.mean()
    if not np.any(x):
        raise ValueError("silence has no dominant frequency")
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    spectrum[0] = 0.0
    k = int(np.argmax(spectrum))
    shift = 0.0
    if 0 < k < len(spectrum) - 1:
        a, b, c = np.log(spectrum[k - 1: k + 2] + 1e-12)
        denom = a - 2 * b + c
        if denom:
            shift = 0.5 * (a - c) / denom
    return float((k + shift) * rate / len(x))


def loudest_window(samples: Samples, rate: int, seconds: float = 1.0) -> Samples:
    """The ``seconds``-long slice with the highest RMS (skips silence before/after a tone)."""
    n = int(rate * seconds)
    if len(samples) <= n:
        return samples
    step = max(1, n // 4)
    starts = range(0, len(samples) - n + 1, step)
    best = max(starts, key=lambda s: rms(samples[s: s + n]))
    return samples[best: best + n]


def near(freq: float, expected: float, tolerance: float = TOLERANCE_HZ) -> bool:
    """``freq`` is within ``tolerance`` Hz of ``expected``."""
    return abs(freq - expected) <= tolerance


def wav_tone(path: Path | str, seconds: float = 1.0) -> tuple[float, float]:
    """(dominant frequency, RMS) of the loudest ``seconds`` of a WAV file."""
    data, rate = read_wav(path)
    window = loudest_window(data, rate, seconds)
    return dominant_frequency(window, rate), rms(window)


def assert_tone(path: Path | str, expected_hz: float, *, seconds: float = 1.0,
                min_rms: float = 0.01, tolerance: float = TOLERANCE_HZ) -> float:
    """Assert the WAV carries a tone of ``expected_hz`` (+-``tolerance``); return the frequency."""
    freq, level = wav_tone(path, seconds)
    assert level >= min_rms, f"{path}: only silence (RMS {level:.4f} < {min_rms})"
    assert near(freq, expected_hz, tolerance), (
        f"{path}: dominant frequency {freq:.1f} Hz, expected {expected_hz} +-{tolerance} Hz"
    )
    return freq


def band_share(samples: Samples, rate: int, hz: float, tolerance: float = TOLERANCE_HZ) -> float:
    """Share (0..1) of the signal's spectral energy within ``hz`` +-``tolerance`` (+ window lobe).

    Use it when a recording mixes two tones (both directions of a call): each tone that is
    really there holds a large share, one that is missing almost none.
    """
    x = np.asarray(samples, dtype=np.float64)
    x = x - x.mean()
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    power[0] = 0.0
    total = float(power.sum())
    if total <= 0.0:
        return 0.0
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    lobe = 2.0 * rate / len(x)  # the Hann main lobe spreads a tone over +-2 bins
    mask = np.abs(freqs - hz) <= tolerance + lobe
    return float(power[mask].sum() / total)


def wav_finalized(path: Path | str) -> bool:
    """The WAV's RIFF header is complete (its sizes match the file): the writer closed it."""
    try:
        with open(path, "rb") as f:
            head = f.read(44)
            size = f.seek(0, 2)
    except OSError:
        return False
    if len(head) < 44 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    riff = int.from_bytes(head[4:8], "little")
    return riff == size - 8 and riff > 36

