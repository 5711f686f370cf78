"""Our loss concealment for G.711 and G.722 (softphone/sip/audio/g7xx_plc.c), on synthetic
voiced sound: 10 ms frames go through it as pjmedia's stream hands them to the codec (a
decoded frame, or a lost one to rebuild).

What a listener notices: the rebuilt frame sounds like the sound going on (it follows the
true continuation), there is no click where the loss starts or where the sound comes back,
a long loss fades out instead of buzzing, and nothing changes while no frame is lost.
"""

from __future__ import annotations

import numpy as np
import pytest

opus = pytest.importorskip("softphone.sip.audio._opus")


def voiced(rate: int, seconds: float, f0: float = 140.0) -> np.ndarray:
    """A vowel-like tone: harmonics of f0 with falling amplitudes, a slow vibrato-free
    envelope; f0 such that the period is not a whole number of samples."""
    t = np.arange(int(rate * seconds)) / rate
    x = sum(np.sin(2 * np.pi * f0 * h * t + h) / h for h in range(1, 8) if f0 * h < rate / 2)
    return (np.asarray(x) / np.max(np.abs(x)) * 12000.0).astype(np.int16)


class Plc:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.frame = rate // 100
        self.p = opus.lib.sp_plc_test_new(rate)
        self.buf = opus.ffi.new("short[]", self.frame)

    def close(self) -> None:
        opus.lib.sp_plc_test_free(self.p)

    def _out(self) -> np.ndarray:
        return np.frombuffer(opus.ffi.buffer(self.buf), dtype=np.int16).copy()

    def good(self, pcm: np.ndarray) -> np.ndarray:
        opus.ffi.memmove(self.buf, pcm.astype(np.int16).tobytes(), self.frame * 2)
        opus.lib.sp_plc_test_good(self.p, self.buf, self.frame)
        return self._out()

    def lost(self) -> np.ndarray:
        opus.lib.sp_plc_test_conceal(self.p, self.buf, self.frame)
        return self._out()


def play(rate: int, signal: np.ndarray, lost: set[int]) -> np.ndarray:
    plc = Plc(rate)
    try:
        n = plc.frame
        frames = [plc.lost() if i in lost else plc.good(signal[i * n:(i + 1) * n])
                  for i in range(len(signal) // n)]
    finally:
        plc.close()
    return np.concatenate(frames).astype(np.float64)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


@pytest.mark.parametrize("rate", [8000, 16000])
def test_nothing_changes_while_no_frame_is_lost(rate: int) -> None:
    x = voiced(rate, 0.3)
    y = play(rate, x, set())
    assert np.array_equal(y, x[:len(y)].astype(np.float64))


@pytest.mark.parametrize("rate", [8000, 16000])
@pytest.mark.parametrize("lost", [{12}, {12, 13}])
def test_a_lost_frame_follows_the_sound_with_no_click(rate: int, lost: set[int]) -> None:
    x = voiced(rate, 0.3)
    y = play(rate, x, lost)
    n = rate // 100
    start, end = min(lost) * n, (max(lost) + 1) * n
    truth = x[start:end].astype(np.float64)
    assert correlation(y[start:end], truth) > 0.9
    # no step larger than the sound's own steepest one where the loss starts and ends
    steepest = float(np.max(np.abs(np.diff(x.astype(np.float64)))))
    for edge in (start, end):
        steps = np.abs(np.diff(y[edge - 3:edge + 3]))
        assert float(np.max(steps)) <= 1.2 * steepest, (edge, steps, steepest)
    # the sound carries on at its level (no fade within the first 20 ms)
    rms = float(np.sqrt(np.mean(truth ** 2)))
    assert float(np.sqrt(np.mean(y[start:end] ** 2))) > 0.8 * rms
    # and after the loss the frames are the decoded ones again, once the fade-in is over
    after = y[end + n // 2:end + 2 * n]
    assert np.array_equal(after, x[end + n // 2:end + 2 * n].astype(np.float64))


@pytest.mark.parametrize("rate", [8000, 16000])
def test_a_long_loss_fades_out_and_the_sound_comes_back_smoothly(rate: int) -> None:
    x = voiced(rate, 0.5)
    n = rate // 100
    lost = set(range(10, 20))               # 100 ms
    y = play(rate, x, lost)
    assert np.all(y[(10 + 7) * n:20 * n] == 0.0)      # silent after 60 ms
    level = [float(np.sqrt(np.mean(y[(10 + i) * n:(11 + i) * n] ** 2))) for i in range(6)]
    assert level[1:] == sorted(level[1:], reverse=True), level
    assert level[1] <= 1.05 * level[0] and level[5] < 0.35 * level[0], level
    # the first good frame fades in from silence: no step at its first sample
    steepest = float(np.max(np.abs(np.diff(x.astype(np.float64)))))
    assert abs(y[20 * n]) <= steepest
