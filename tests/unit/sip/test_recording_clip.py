"""Reading recordings and the clip the output callback mixes: resampling to the device rate,
seek, pause, the end, and the kinds of unreadable file."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from softphone.sip.audio.player import Clip, RecordingError, load_recording
from softphone.sip.audio.tones import write_wav
from tests.harness.audio_analysis import dominant_frequency, near


def _tone(rate: int, seconds: float, hz: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.round(10000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def _play(clip: Clip, rate: int, seconds: float, block: int = 960) -> np.ndarray:
    out = []
    for _ in range(int(rate * seconds) // block):
        buf = np.zeros(block, dtype=np.int32)
        clip.mix_into(buf, rate)
        out.append(buf)
    return np.concatenate(out)


def test_a_16k_recording_plays_at_48k_with_its_pitch(tmp_path: Path) -> None:
    path = tmp_path / "r.wav"
    write_wav(path, _tone(16000, 2.0, 700.0), 16000)
    clip = load_recording(path)
    assert clip.rate == 16000 and clip.duration == pytest.approx(2.0)
    heard = _play(clip, 48000, 1.0)
    assert near(dominant_frequency(heard.astype(np.float64), 48000), 700.0)
    assert clip.position == pytest.approx(1.0, abs=0.03)


def test_seek_pause_and_end() -> None:
    clip = Clip(_tone(8000, 1.0, 500.0), 8000)
    clip.seek(0.5)
    assert clip.position == 0.5  # a pending seek shows at once
    _play(clip, 8000, 0.12, block=80)
    assert clip.position == pytest.approx(0.62, abs=0.011)
    clip.paused = True
    buf = np.zeros(80, dtype=np.int32)
    assert not clip.mix_into(buf, 8000) and not buf.any()
    clip.paused = False
    _play(clip, 8000, 1.0, block=80)
    assert clip.done and clip.position == pytest.approx(1.0)
    clip.rewind()
    assert not clip.done and clip.position == 0.0


def test_8_bit_stereo(tmp_path: Path) -> None:
    path = tmp_path / "s.wav"
    mono = (_tone(11025, 0.5, 300.0) // 256 + 128).astype(np.uint8)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(1)
        w.setframerate(11025)
        w.writeframes(np.repeat(mono, 2).tobytes())
    clip = load_recording(path)
    assert len(clip.samples) == len(mono) and abs(int(clip.samples.max()) - 10000) < 300


@pytest.mark.parametrize(("content", "kind"), [
    (None, "missing"), (b"", "format"), (b"RIFF\x24\x00\x00\x00WAVEfmt ", "format"),
])
def test_unreadable_files(tmp_path: Path, content: bytes | None, kind: str) -> None:
    path = tmp_path / "x.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RecordingError) as info:
        load_recording(path)
    assert info.value.kind in (kind, "unreadable")


def test_empty_recording(tmp_path: Path) -> None:
    path = tmp_path / "e.wav"
    write_wav(path, np.zeros(0, dtype=np.int16), 16000)
    with pytest.raises(RecordingError) as info:
        load_recording(path)
    assert info.value.kind == "empty"
