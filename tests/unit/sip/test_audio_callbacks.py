"""The call streams' callbacks without a sound device: the compiled C callback and, without it,
our own cffi callback (both called here through sounddevice's real cffi, as PortAudio would),
the numpy-array fallback, and the level meters the SIP thread reads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from softphone.settings import AudioSettings
from softphone.sip.audio import callbacks as cb
from softphone.sip.audio import native, tones
from softphone.sip.audio.backend import PortAudioBackend
from softphone.sip.audio.streams import AudioPath, StreamRecord
from tests.unit.sip.test_audio_bridge import require_native

RATE = 48000
FRAMES = 960  # 20 ms at 48 kHz


def _tone(hz: float, n: int, rate: int, amp: float = 10000.0) -> np.ndarray:
    return (np.sin(2 * np.pi * hz * np.arange(n) / rate) * amp).astype(np.int16)


class CapturingSd:
    """``sounddevice`` as far as open_call_stream uses it: the real cffi, a fake stream."""

    def __init__(self, real: Any) -> None:
        self._ffi = real._ffi
        self.opened: list[dict[str, Any]] = []

    def _StreamBase(self, kind: str, **kw: Any) -> Any:  # sounddevice's name
        self.opened.append({"kind": kind, **kw})
        return type("FakeStream", (), {})()


def _backend(sd: Any, c_path: bool = False) -> PortAudioBackend:
    if c_path:
        require_native()
    b = PortAudioBackend(sd, AudioSettings(), [])
    b._native_audio = c_path
    return b


def _duplex(sd: Any, b: PortAudioBackend) -> tuple[Any, AudioPath, AudioPath]:
    in_path = AudioPath(RATE, 16000, b._native_audio)
    out_path = AudioPath(RATE, 16000, b._native_audio)
    rec = StreamRecord("duplex", 0, "fake", RATE, 2)
    stream = cb.open_call_stream(b, rec, "duplex", cb.input_body(b, in_path),
                                 cb.output_body(b, rec, out_path, FRAMES), FRAMES, (1, 2),
                                 paths=(in_path, out_path), device=(0, 0), samplerate=RATE,
                                 blocksize=FRAMES, dtype="int16", latency="low")
    b._streams["input"] = b._streams["output"] = rec
    b._streams_changed()
    return stream, in_path, out_path


def _period(sd: Any, mic: np.ndarray, frames: int = FRAMES, fill: int = 0) -> np.ndarray:
    """One period through the callback sounddevice was given (C or Python), as PortAudio
    calls it; returns what it played (frames, 2)."""
    opened = sd.opened[-1]
    ffi = sd._ffi
    user = opened.get("userdata")
    outbuf = np.full((FRAMES, 2), fill, dtype=np.int16)
    rc = opened["callback"](ffi.from_buffer(mic), ffi.from_buffer(outbuf), frames, ffi.NULL, 0,
                            user if user is not None else ffi.NULL)
    assert rc == 0
    return outbuf


def _drain(q: Any) -> bytes:
    out = []
    while (f := q.get()) is not None:
        out.append(f)
    return b"".join(out)


def test_raw_duplex_callback_queues_the_microphone_and_plays_the_call() -> None:
    sd_real = pytest.importorskip("sounddevice")
    sd = CapturingSd(sd_real)
    b = _backend(sd)
    stream, in_path, out_path = _duplex(sd, b)
    (opened,) = sd.opened
    assert opened["kind"] == "duplex" and opened["wrap_callback"] is None
    cptr = stream._softphone_callback
    ffi = sd._ffi
    mic = _tone(1000, FRAMES * 25, RATE)
    far = _tone(440, 320 * 25, 16000)
    heard = []
    for i in range(25):
        out_path.queue.put(far[i * 320:(i + 1) * 320].tobytes())
        inbuf = ffi.from_buffer(mic[i * FRAMES:(i + 1) * FRAMES])
        outbuf = np.full((FRAMES, 2), 7, dtype=np.int16)
        assert cptr(inbuf, ffi.from_buffer(outbuf), FRAMES, ffi.NULL, 0, ffi.NULL) == 0
        heard.append(outbuf.copy())
    assert b.callback_errors == 0
    sent = np.frombuffer(_drain(in_path.queue), dtype=np.int16)
    assert len(sent) and np.abs(sent[320:]).max() > 5000  # resampled to 16 kHz and queued
    played = np.concatenate(heard)
    assert (played[:, 0] == played[:, 1]).all()
    spec = np.abs(np.fft.rfft(played[FRAMES * 5:, 0] * np.hanning(len(played) - FRAMES * 5)))
    assert abs(np.argmax(spec) * RATE / (len(played) - FRAMES * 5) - 440) < 5
    mic_level, spk_level = b.levels()
    assert mic_level > 0.2 and spk_level > 0.2
    assert b.levels() == (0.0, 0.0), "the meters show frames since the last poll only"


def test_a_tone_is_mixed_into_the_call_and_a_bad_period_is_silence() -> None:
    sd_real = pytest.importorskip("sounddevice")
    sd = CapturingSd(sd_real)
    b = _backend(sd)
    stream, _in_path, _out_path = _duplex(sd, b)
    ffi = sd._ffi
    cptr = stream._softphone_callback
    b.sounds.progress.play(tones.ringback(RATE), loop=True)
    inbuf = ffi.from_buffer(np.zeros(FRAMES, dtype=np.int16))
    outbuf = np.zeros((FRAMES, 2), dtype=np.int16)
    cptr(inbuf, ffi.from_buffer(outbuf), FRAMES, ffi.NULL, 0, ffi.NULL)
    assert np.abs(outbuf).max() > 1000, "the ringback plays while the call is silent"
    outbuf.fill(5)
    cptr(inbuf, ffi.from_buffer(outbuf), FRAMES // 2, ffi.NULL, 0, ffi.NULL)
    assert b.callback_errors == 1 and not outbuf[: FRAMES // 2].any()


def test_muted_microphone_meter_is_zero() -> None:
    b = _backend(object())
    b._mic_recent.append(_tone(1000, 320, 16000).tobytes())
    b._spk_recent.append(_tone(440, 320, 16000, 3000.0).tobytes())
    b.set_mute(True)
    mic, spk = b.levels()
    assert mic == 0.0 and 0.08 < spk < 0.1
    b.set_mute(False)
    assert b.levels() == (0.0, 0.0), "frames from the muted time do not show afterwards"


def _dominant(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec) * rate / len(x))


def test_c_callback_carries_1khz_out_and_440hz_in_and_feeds_the_meters() -> None:
    sd = CapturingSd(pytest.importorskip("sounddevice"))
    b = _backend(sd, c_path=True)
    stream, in_path, out_path = _duplex(sd, b)
    assert isinstance(in_path.queue, native.NativeQueue)
    assert stream._softphone_native is not None and sd.opened[-1]["wrap_callback"] is None
    mic = _tone(1000, FRAMES * 50, RATE)
    far = _tone(440, 320 * 50, 16000)
    heard, sent = [], []
    for i in range(50):
        out_path.queue.put(far[i * 320:(i + 1) * 320].tobytes())
        heard.append(_period(sd, mic[i * FRAMES:(i + 1) * FRAMES], fill=7))
        sent.append(_drain(in_path.queue))  # PJSIP's clock thread takes the frames
    assert b.callback_errors == 0
    up = np.frombuffer(b"".join(sent), dtype=np.int16)
    assert len(up) >= 320 * 40, "the microphone reached the bridge at 16 kHz"
    assert abs(_dominant(up[3200:], 16000) - 1000) < 10
    played = np.concatenate(heard)
    assert (played[:, 0] == played[:, 1]).all()
    assert abs(_dominant(played[FRAMES * 5:, 0], RATE) - 440) < 5
    assert np.abs(played[FRAMES * 5:, 0]).max() > 5000
    mic_level, spk_level = b.levels()
    assert mic_level > 0.2 and spk_level > 0.2
    assert b.levels() == (0.0, 0.0), "the meters show frames since the last poll only"


def test_c_callback_mixes_a_tone_only_while_one_plays_and_a_bad_period_is_silence() -> None:
    sd = CapturingSd(pytest.importorskip("sounddevice"))
    b = _backend(sd, c_path=True)
    stream, _in_path, _out_path = _duplex(sd, b)
    silence = np.zeros(FRAMES, dtype=np.int16)
    assert not _period(sd, silence).any()
    b.play_tone("ringback")
    played = _period(sd, silence)
    assert np.abs(played).max() > 1000, "the ringback plays while the call is silent"
    assert abs(_dominant(np.concatenate([played[:, 0], _period(sd, silence)[:, 0]]), RATE)
               - tones.RINGBACK_HZ) < 30
    b.stop_tone()
    assert not _period(sd, silence).any()  # the hook finds nothing left and turns itself off
    calls = stream._softphone_native.c.hook_calls
    assert not _period(sd, silence).any()
    assert stream._softphone_native.c.hook_calls == calls, "no Python runs without a tone"
    b.dtmf_feedback("5")
    assert np.abs(_period(sd, silence)).max() > 1000, "a later sound turns the hook on again"
    bad = _period(sd, silence, frames=FRAMES // 2, fill=5)
    assert b.callback_errors == 1 and not bad[: FRAMES // 2].any()


def test_without_the_compiled_module_the_python_path_carries_the_call() -> None:
    """SOFTPHONE_NO_NATIVE_AUDIO (as when the module is not built): queues, callback and
    bridge port stay in Python, and the call audio still flows."""
    import subprocess
    import sys

    code = (
        "import numpy as np, sounddevice\n"
        "from softphone.sip.audio import native, frames\n"
        "from softphone.settings import AudioSettings\n"
        "from softphone.sip.audio.backend import PortAudioBackend\n"
        "from tests.unit.sip.test_audio_callbacks import CapturingSd, _duplex, _period, _tone\n"
        "assert not native.available()\n"
        "sd = CapturingSd(sounddevice)\n"
        "b = PortAudioBackend(sd, AudioSettings(), [])\n"
        "stream, i, o = _duplex(sd, b)\n"
        "assert isinstance(o.queue, frames.FrameQueue) and hasattr(stream, '_softphone_callback')\n"
        "far = _tone(440, 320 * 10, 16000)\n"
        "out = []\n"
        "for k in range(10):\n"
        "    o.queue.put(far[k * 320:(k + 1) * 320].tobytes())\n"
        "    out.append(_period(sd, np.zeros(960, dtype=np.int16)))\n"
        "assert np.abs(np.concatenate(out)).max() > 5000\n"
        "print('ok')\n")
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, SOFTPHONE_NO_NATIVE_AUDIO="1", PYTHONPATH=str(root))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=60, cwd=root)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_c_resampling_is_the_numpy_filter_to_one_step() -> None:
    """The C FIR is the same filter as resample.py (same taps, history kept across periods):
    at most one step of rounding apart, so the call sounds the same on both paths."""
    require_native()
    from softphone.sip.audio.resample import Downsampler, Upsampler

    rng = np.random.default_rng(7)
    mic_q, spk_q = native.NativeQueue(640, target=1), native.NativeQueue(640, target=1)
    st = native.NativeStream(FRAMES, 1, 1, mic_q, spk_q, 3, 3, lambda stream: None)
    down, up = Downsampler(3), Upsampler(3)
    ffi = native.ffi
    for _ in range(6):
        mic = (rng.standard_normal(FRAMES) * 6000).astype(np.int16)
        far = (rng.standard_normal(320) * 6000).astype(np.int16)
        spk_q.put(far.tobytes())
        out = np.zeros(FRAMES, dtype=np.int16)
        native.lib.sp_pa_callback(ffi.from_buffer(mic), ffi.from_buffer(out), FRAMES, ffi.NULL,
                                  0, st.c)
        sent = np.frombuffer(mic_q.get() or b"", dtype=np.int16)
        mic_q.clear()
        assert len(sent) == 320
        assert np.abs(sent.astype(int) - down.run(mic).astype(int)).max() <= 1
        assert np.abs(out.astype(int) - up.run(far).astype(int)).max() <= 1
