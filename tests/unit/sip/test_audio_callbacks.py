"""The call streams' callbacks without a sound device: our own cffi callback (called here
through sounddevice's real cffi), the numpy-array fallback, and the level meters the SIP
thread computes from the frames the callbacks kept."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from softphone.settings import AudioSettings
from softphone.sip.audio import callbacks as cb
from softphone.sip.audio import tones
from softphone.sip.audio.backend import PortAudioBackend, _Path, _Stream

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


def _backend(sd: Any) -> PortAudioBackend:
    return PortAudioBackend(sd, AudioSettings(), [])


def _duplex(sd: Any, b: PortAudioBackend) -> tuple[Any, _Path, _Path]:
    in_path, out_path = _Path(RATE, 16000), _Path(RATE, 16000)
    rec = _Stream("duplex", 0, "fake", RATE, 2)
    stream = cb.open_call_stream(b, rec, "duplex", cb.input_body(b, in_path),
                                 cb.output_body(b, rec, out_path, FRAMES), FRAMES, (1, 2),
                                 device=(0, 0), samplerate=RATE, blocksize=FRAMES,
                                 dtype="int16", latency="low")
    return stream, in_path, out_path


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
    sent = np.frombuffer(b"".join(in_path.queue._q), dtype=np.int16)
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
    b._progress.play(tones.ringback(RATE), loop=True)
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
