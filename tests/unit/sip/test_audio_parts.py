"""Tones, resampling, device choice by name and the backend factory's fallbacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from softphone.settings import AudioSettings
from softphone.sip.audio import UnavailableAudioBackend, create_audio_backend, tones
from softphone.sip.audio.devices import find_device
from softphone.sip.audio.resample import Downsampler, Upsampler
from softphone.sip.events import AudioDeviceNotice
from softphone.sip.media_api import DeviceInfo

ROOT = Path(__file__).resolve().parents[3]


def dominant(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(len(x))))
    return float(np.argmax(spec) * rate / len(x))


# --- tones -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("make", "hz"), [(tones.ringback, tones.RINGBACK_HZ),
                                          (tones.busy, tones.RINGBACK_HZ),
                                          (tones.call_waiting, tones.WAITING_HZ)])
def test_progress_tones_have_their_frequency(make: object, hz: float) -> None:
    s = make(48000)  # type: ignore[operator]
    loud = s[: 48000 // 10].astype(float)
    assert abs(dominant(loud, 48000) - hz) < 15
    assert np.abs(s).max() < 32767


def test_dtmf_feedback_holds_both_frequencies() -> None:
    s = tones.dtmf(48000, "5").astype(float)
    spec = np.abs(np.fft.rfft(s * np.hanning(len(s))))
    freqs = np.fft.rfftfreq(len(s), 1 / 48000)
    top = sorted(freqs[np.argsort(spec)[-2:]])
    assert abs(top[0] - 770) < 15 and abs(top[1] - 1336) < 15
    assert len(tones.dtmf(48000, "x")) == 0


def test_tone_slot_loops_and_stops() -> None:
    slot = tones.ToneSlot()
    slot.play(np.arange(1, 6, dtype=np.int16), loop=True)
    out = np.zeros(12, dtype=np.int32)
    assert slot.mix_into(out)
    assert out.tolist() == [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]
    slot.play(np.arange(1, 4, dtype=np.int16), loop=False)
    out = np.zeros(5, dtype=np.int32)
    slot.mix_into(out)
    assert out.tolist() == [1, 2, 3, 0, 0] and not slot.active
    slot.stop()
    assert not slot.mix_into(out)


def test_ringtone_wav_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "ring.wav"
    tones.write_wav(path, tones.ringtone(16000), 16000)
    loaded = tones.load_ringtone(48000, path)
    assert abs(len(loaded) - 3 * len(tones.ringtone(16000))) < 10
    assert len(tones.load_ringtone(48000, tmp_path / "missing.wav")) == len(tones.ringtone(48000))


def test_shipped_sounds_are_readable() -> None:
    for name in ("ringtone.wav", "call-waiting.wav", "ringback.wav", "busy.wav"):
        data = tones.read_wav(ROOT / "resources" / "sounds" / name, 48000)
        assert data is not None and len(data) > 4800, name


# --- resampling ------------------------------------------------------------------------------

@pytest.mark.parametrize("hz", [300.0, 1000.0, 3400.0, 6000.0])
def test_resampling_keeps_voice_band_tones(hz: float) -> None:
    t = np.arange(48000) / 48000
    x = (np.sin(2 * np.pi * hz * t) * 10000).astype(np.int16)
    down, up = Downsampler(3), Upsampler(3)
    low = np.concatenate([down.run(x[i:i + 960]) for i in range(0, len(x), 960)])
    back = np.concatenate([up.run(low[i:i + 320]) for i in range(0, len(low), 320)])
    assert len(low) == 16000 and len(back) == 48000
    assert abs(dominant(low[1600:].astype(float), 16000) - hz) < 5
    assert abs(dominant(back[4800:].astype(float), 48000) - hz) < 5
    assert 0.8 < back[4800:].std() / x.std() < 1.1


def test_downsampling_rejects_what_would_alias() -> None:
    t = np.arange(48000) / 48000
    x = (np.sin(2 * np.pi * 12000 * t) * 10000).astype(np.int16)
    down = Downsampler(3)
    low = np.concatenate([down.run(x[i:i + 960]) for i in range(0, len(x), 960)])
    assert low[1600:].std() < 0.01 * x.std()


# --- devices ---------------------------------------------------------------------------------

DEVICES = [
    DeviceInfo("HDA Intel PCH: ALC892 Analog (hw:0,0)", "ALSA", 2, 2, 48000.0),
    DeviceInfo("Jabra EVOLVE 20 MS: USB Audio (hw:2,0)", "ALSA", 1, 2, 16000.0),
    DeviceInfo("HDMI 0 (hw:0,3)", "ALSA", 0, 8, 48000.0),
    DeviceInfo("default", "ALSA", 32, 32, 44100.0, is_default_input=True,
               is_default_output=True),
]


def test_devices_are_chosen_by_name() -> None:
    assert find_device(DEVICES, "HDMI 0 (hw:0,3)", output=True) == 2
    assert find_device(DEVICES, "HDMI 0 (hw:0,3)", output=False) is None  # cannot record
    assert find_device(DEVICES, None, output=True) == 3
    assert find_device(DEVICES, "Gone headset", output=True) is None


def test_a_replugged_usb_device_is_found_under_its_new_card_number() -> None:
    assert find_device(DEVICES, "Jabra EVOLVE 20 MS: USB Audio (hw:1,0)", output=False) == 1


# --- factory ---------------------------------------------------------------------------------

def test_switched_off_portaudio_gives_a_silent_backend_and_a_notice(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPHONE_NO_PORTAUDIO", "1")
    seen: list[object] = []
    backend = create_audio_backend(AudioSettings(), seen.append)
    assert isinstance(backend, UnavailableAudioBackend)
    assert backend.unavailable_reason and backend.local_source() is None
    assert len(seen) == 1 and isinstance(seen[0], AudioDeviceNotice)
    backend.start(None, seen.append)  # told once, not twice
    assert len(seen) == 1


def test_notice_waits_for_start_without_emit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPHONE_NO_PORTAUDIO", "1")
    backend = create_audio_backend(AudioSettings())
    seen: list[AudioDeviceNotice] = []
    backend.start(None, seen.append)  # type: ignore[arg-type]
    assert [n.kind for n in seen] == ["unavailable"]


def test_a_broken_portaudio_library_never_crashes(tmp_path: Path) -> None:
    """A real load failure: LD_LIBRARY_PATH names a libportaudio.so.2 that is not ELF."""
    (tmp_path / "libportaudio.so.2").write_bytes(b"not a library\n")
    code = (
        "import json; from softphone.settings import AudioSettings;"
        "from softphone.sip.audio import create_audio_backend;"
        "seen = [];"
        "b = create_audio_backend(AudioSettings(), seen.append);"
        "print(json.dumps([type(b).__name__, b.unavailable_reason, seen[0].kind]))"
    )
    env = dict(os.environ, LD_LIBRARY_PATH=str(tmp_path), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    name, reason, kind = json.loads(out.strip().splitlines()[-1])
    assert name == "UnavailableAudioBackend" and kind == "unavailable"
    assert "libportaudio2" in reason
