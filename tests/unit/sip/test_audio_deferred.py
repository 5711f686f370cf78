"""PortAudio loaded at the first need for sound (softphone/sip/audio/deferred.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

from softphone.settings import AudioSettings
from softphone.sip.audio.deferred import DeferredAudioBackend
from softphone.sip.media_api import DeviceInfo, NullAudioBackend


class Recorder(NullAudioBackend):
    """A backend that writes down what it was asked, in order."""

    def __init__(self, log: list[Any]) -> None:
        self.log = log
        self.extra_figure = 7

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if callable(value) and not name.startswith("_") and name != "log":
            def record(*args: Any) -> Any:
                self.log.append((name, *args))
                return value(*args)
            return record
        return value

    def list_devices(self) -> list[DeviceInfo]:
        return [DeviceInfo("Headset", "ALSA", 1, 2, 48000.0)]

    def play_clip(self, clip: Any) -> bool:
        return True


def make(settings: AudioSettings | None = None) -> tuple[DeferredAudioBackend, list[Any],
                                                         list[AudioSettings]]:
    log: list[Any] = []
    made: list[AudioSettings] = []

    def factory(s: AudioSettings) -> NullAudioBackend:
        made.append(s)
        return Recorder(log)

    return DeferredAudioBackend(settings or AudioSettings(), factory), log, made


def test_nothing_is_loaded_until_sound_is_needed() -> None:
    audio, _log, made = make()
    audio.start("endpoint", print)
    audio.set_mute(True)
    audio.set_devices("Mic", "Headset", None)
    audio.set_ring_volume(0.3)
    audio.stop_ringing()
    audio.stop_tone()
    audio.disconnect_call(1, None)
    audio.poll()
    assert audio.levels() == (0.0, 0.0) and audio.bridge_counters() == (0, 0)
    assert not hasattr(audio, "extra_figure")  # asking for figures never loads
    assert made == [] and not audio.loaded and audio.unavailable_reason == ""


def test_a_ring_loads_and_starts_it_with_what_was_chosen_meanwhile() -> None:
    settings = AudioSettings(ring_volume=0.5)
    audio, log, made = make(settings)
    emit = print
    audio.start("endpoint", emit)
    audio.set_mute(True)
    audio.set_devices("Mic", "Headset", "Speakers")
    audio.set_ring_volume(0.3)
    audio.start_ringing(False)
    assert made == [settings] and audio.loaded
    assert log == [("start", "endpoint", emit), ("set_devices", "Mic", "Headset", "Speakers"),
                   ("set_ring_volume", 0.3), ("set_mute", True), ("start_ringing", False)]
    log.clear()
    audio.stop_ringing()
    audio.connect_call(3, "media")
    audio.poll()
    audio.stop()
    assert log == [("stop_ringing",), ("connect_call", 3, "media"), ("poll",), ("stop",)]
    assert audio.extra_figure == 7 and len(made) == 1


def test_each_need_loads_it() -> None:
    for need in (lambda a: a.connect_call(1, "m"), lambda a: a.play_tone("ringback"),
                 lambda a: a.dtmf_feedback("5"), lambda a: a.local_source(),
                 lambda a: a.list_devices()):
        audio, _log, made = make()
        audio.start("endpoint", print)
        need(audio)
        assert len(made) == 1, need
    audio, _log, _made = make()
    assert [d.name for d in audio.list_devices()] == ["Headset"]


def test_a_recording_asked_for_from_another_thread_plays_after_the_next_poll() -> None:
    audio, log, made = make()
    audio.start("endpoint", print)
    answers: list[bool] = []
    player = threading.Thread(target=lambda: answers.append(audio.play_clip("clip")))
    player.start()
    player.join()
    assert answers == [True] and made == []  # the UI thread never loads PortAudio
    audio.poll()  # the SIP thread's audio poll
    assert ("play_clip", "clip") in log and made
    audio2, _log2, made2 = make()
    audio2.play_clip("clip")
    audio2.stop_clip()
    audio2.poll()
    assert made2 == []  # stopped before it was loaded: nothing to load


def test_stopping_before_any_sound_loads_nothing() -> None:
    audio, _log, made = make()
    audio.start("endpoint", print)
    audio.stop()
    assert made == []


def test_the_real_factory_tells_why_there_is_no_sound_when_first_needed() -> None:
    """No PortAudio on purpose: the silent backend is made at the first ring and its notice
    reaches the user then."""
    script = (
        "import json, sys\n"
        "from softphone.settings import AudioSettings\n"
        "from softphone.sip.audio.deferred import DeferredAudioBackend\n"
        "seen = []\n"
        "a = DeferredAudioBackend(AudioSettings())\n"
        "a.start(None, seen.append)\n"
        "before = 'sounddevice' in sys.modules or bool(seen)\n"
        "a.start_ringing(False)\n"
        "print(json.dumps({'before': before, 'reason': a.unavailable_reason,\n"
        "                  'kinds': [e.kind for e in seen]}))\n")
    env = dict(os.environ, SOFTPHONE_NO_PORTAUDIO="1")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["before"] is False
    assert "switched off" in out["reason"] and out["kinds"] == ["unavailable"]
