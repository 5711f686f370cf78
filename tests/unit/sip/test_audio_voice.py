"""The call voice's own automatic gain (voice.c: the wheel has no gain controller), its
settings, and the canceller's state made by the C path (real PJSIP canceller, no devices)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from softphone.sip.audio import native
from tests.unit.sip.test_audio_bridge import require_native

RATE, N = 16000, 320


def speechlike(seconds: float, level_db: float, seed: int = 1) -> Any:
    """Bursts of band-limited noise at ``level_db`` dBFS RMS (syllables and pauses)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    x = np.convolve(rng.standard_normal(n), np.ones(8) / 8, mode="same")
    env = (np.sin(2 * np.pi * 3.0 * np.arange(n) / RATE) > -0.3).astype(float)
    x *= env
    rms = np.sqrt(np.mean(x[env > 0] ** 2))
    return x / rms * 10 ** (level_db / 20) * 32768


def run_agc(x: Any) -> tuple[Any, float]:
    ffi, lib = native.ffi, native.lib
    g = ffi.new("sp_agc *")
    lib.sp_agc_init(g)
    out = np.zeros(len(x) // N * N, dtype=np.int16)
    frame = ffi.new("int16_t[]", N)
    for i in range(0, len(out), N):
        ffi.memmove(frame, np.clip(x[i:i + N], -32768, 32767).astype(np.int16).tobytes(), 2 * N)
        lib.sp_agc_run(g, frame, N)
        out[i:i + N] = np.frombuffer(ffi.buffer(frame), dtype=np.int16)
    return out, float(g.gain_db)


def level_db(x: Any) -> float:
    x = np.asarray(x, dtype=np.float64) / 32768
    active = x[np.abs(x) > 1e-3]
    return float(10 * np.log10(np.mean(active ** 2)))


def test_a_quiet_talker_is_raised_towards_the_target() -> None:
    require_native()
    out, gain = run_agc(speechlike(8.0, -40.0))
    assert 15.0 <= gain <= 24.0
    assert -26.0 <= level_db(out[-2 * RATE:]) <= -16.0


def test_a_loud_talker_is_lowered_and_never_clips() -> None:
    require_native()
    out, gain = run_agc(speechlike(6.0, -6.0))
    assert gain < -6.0
    assert np.max(np.abs(out.astype(np.int32))) < 32767 * 0.95


def test_silence_and_steady_noise_are_not_boosted() -> None:
    require_native()
    rng = np.random.default_rng(3)
    noise = rng.standard_normal(6 * RATE) * 10 ** (-65 / 20) * 32768
    _, gain = run_agc(noise)
    assert gain == pytest.approx(0.0, abs=0.5)


def test_gain_moves_smoothly() -> None:
    """No step larger than the signal's own between samples: the gain is ramped."""
    require_native()
    x = np.full(4 * RATE, 1000.0)  # a constant -30 dBFS level: gain rises by ramps
    out, gain = run_agc(x)
    assert gain > 3.0
    assert np.max(np.abs(np.diff(out.astype(np.int32)))) <= 4


def test_settings_default_and_validation(tmp_path: Any) -> None:
    from softphone.settings import AudioSettings, SettingsError, load_settings

    a = AudioSettings()
    assert (a.echo_cancellation, a.noise_suppression, a.automatic_gain) == (True, True, False)
    assert a.echo_tail_ms == 250 and a.echo_canceller == "speex"
    (tmp_path / "softphone.toml").write_text("[audio]\necho_tail_ms = 5000\n")
    with pytest.raises(SettingsError, match="echo_tail_ms"):
        load_settings(tmp_path)
    (tmp_path / "softphone.toml").write_text(
        "[audio]\necho_cancellation = false\nautomatic_gain = true\necho_tail_ms = 400\n")
    s = load_settings(tmp_path).audio
    assert (s.echo_cancellation, s.automatic_gain, s.echo_tail_ms) == (False, True, 400)
