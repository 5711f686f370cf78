"""A broken sound backend never breaks a call: its failures become one notice per hook."""

from __future__ import annotations

from typing import Any

from softphone.sip.audio_guard import GuardedAudio
from softphone.sip.events import AudioDeviceNotice, SipEvent
from softphone.sip.media_api import NullAudioBackend


class BrokenBackend(NullAudioBackend):
    def connect_call(self, call_id: int, call_media: Any) -> None:
        raise OSError("device unplugged")

    def bridge_counters(self) -> tuple[int, int]:
        raise RuntimeError("no bridge")


def test_failures_are_contained_and_reported_once() -> None:
    events: list[SipEvent] = []
    audio = GuardedAudio(BrokenBackend())
    audio.start(object(), events.append)
    audio.connect_call(1, object())
    audio.connect_call(2, object())
    assert audio.bridge_counters() == (0, 0)
    notices = [e for e in events if isinstance(e, AudioDeviceNotice)]
    assert [n.message for n in notices] == [
        "Sound problem (connect_call): device unplugged",
        "Sound problem (bridge_counters): no bridge",
    ]
    assert all(n.kind == "unavailable" for n in notices)


def test_working_backend_is_called_through() -> None:
    calls: list[str] = []

    class Recorder(NullAudioBackend):
        def play_tone(self, kind: str) -> None:
            calls.append(kind)

    audio = GuardedAudio(Recorder())
    audio.play_tone("busy")
    assert calls == ["busy"]
    assert audio.local_source() is None
