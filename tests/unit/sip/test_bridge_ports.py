"""BridgePorts: one bridge port when the microphone and speaker paths share a rate, one each
otherwise; rebuilt ports take the connected calls and the mute along; a path whose queue
changed (a device back at another rate) makes the ports stale. The ports themselves are
scripted here; the real ones carry calls in tests/integration/audio."""

from __future__ import annotations

from typing import Any

import pytest

from softphone.sip.audio import bridge_ports
from softphone.sip.audio.bridge_ports import BridgePorts
from softphone.sip.audio.streams import AudioPath


class Port:
    def __init__(self, name: str, rate: int, mic: Any, speaker: Any, log: list[str]) -> None:
        self.name, self.rate, self.mic, self.speaker, self.log = name, rate, mic, speaker, log
        self.muted = False

    def wire(self, media: Any, speaker: Port) -> None:
        self.log.append(f"wire {media} {self.name}->{speaker.name}")

    def unwire(self, media: Any, speaker: Port) -> None:
        self.log.append(f"unwire {media} {self.name}")

    def close(self) -> None:
        self.log.append(f"close {self.name}")


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    events: list[str] = []
    monkeypatch.setattr(bridge_ports, "_make_port",
                        lambda name, rate, mic, speaker: Port(name, rate, mic, speaker, events))
    return events


def path(device_rate: int, conf_rate: int = 16000) -> AudioPath:
    return AudioPath(device_rate, conf_rate, native_ok=False)


def test_one_port_at_one_rate_and_calls_follow_a_rebuild(log: list[str]) -> None:
    ports = BridgePorts()
    mic, spk = path(48000), path(48000)
    ports.build(mic, spk)
    assert ports.mic is ports.speaker and ports.mic.name == "softphone-audio"
    ports.connect(1, "call-1")
    ports.set_mute(True)
    assert not ports.stale(mic, spk)
    log.clear()
    ports.build(mic, spk)  # rebuilt: the call leaves the old port and joins the new one
    assert log == ["unwire call-1 softphone-audio", "close softphone-audio",
                   "wire call-1 softphone-audio->softphone-audio"]
    assert ports.mic.muted


def test_two_ports_when_the_rates_differ(log: list[str]) -> None:
    ports = BridgePorts()
    ports.build(path(16000, 16000), path(48000, 8000))
    assert (ports.mic.name, ports.speaker.name) == ("softphone-mic", "softphone-speaker")
    assert ports.speaker.mic is None and ports.mic.speaker is None
    ports.close()
    assert log[-2:] == ["close softphone-mic", "close softphone-speaker"]
    assert ports.mic is None and not ports.stale(path(16000), path(16000))


def test_connecting_again_replaces_and_disconnecting_unknown_media_unwires_it(
        log: list[str]) -> None:
    ports = BridgePorts()
    mic, spk = path(16000), path(16000)
    ports.build(mic, spk)
    ports.connect(1, "old")
    ports.connect(1, "new")  # the call's media changed (re-INVITE)
    assert log[-2:] == ["unwire old softphone-audio",
                        "wire new softphone-audio->softphone-audio"]
    ports.disconnect(1, None)
    ports.disconnect(2, "never-connected")
    assert log[-2:] == ["unwire new softphone-audio", "unwire never-connected softphone-audio"]
    assert ports.calls == {}
    assert ports.stale(path(16000), spk)  # another microphone queue: rebuild
