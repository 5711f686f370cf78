"""The device thread's decisions (choose by name, fall back, re-offer) against a fake PortAudio.

The real streams are covered over JACK in tests/integration/audio; a machine without sound
cards cannot unplug a USB headset, so this drives the same code with a scripted device list.
"""

from __future__ import annotations

from typing import Any

import pytest

from softphone.settings import AudioSettings
from softphone.sip.audio import chosen_devices
from softphone.sip.audio import devices as dev
from softphone.sip.audio.backend import PortAudioBackend

BUILTIN = {"name": "Built-in Audio (hw:0,0)", "hostapi": 0, "max_input_channels": 2,
           "max_output_channels": 2, "default_samplerate": 48000.0}
HEADSET = {"name": "USB Headset (hw:1,0)", "hostapi": 0, "max_input_channels": 1,
           "max_output_channels": 2, "default_samplerate": 48000.0}


class FakeStream:
    def __init__(self, sd: FakeSd, **kw: Any) -> None:
        self.sd, self.kw, self.active, self.closed = sd, kw, False, False
        sd.opened.append(self)

    def start(self) -> None:
        self.active = True

    def abort(self) -> None:
        self.active = False

    def close(self) -> None:
        self.closed = True

    @property
    def device(self) -> Any:
        return self.kw["device"]


class FakeSd:
    """Just enough of ``sounddevice`` for the backend's device thread."""

    class default:
        hostapi = 0

    def __init__(self, devices: list[dict[str, Any]]) -> None:
        self.plugged = list(devices)
        self.listed = list(devices)  # what PortAudio saw at its last initialisation
        self.opened: list[FakeStream] = []
        self.rescans = 0

    def query_hostapis(self) -> list[dict[str, Any]]:
        return [{"name": "ALSA", "default_input_device": 0, "default_output_device": 0}]

    def query_devices(self) -> list[dict[str, Any]]:
        return self.listed

    def _terminate(self) -> None:
        pass

    def _initialize(self) -> None:
        self.listed = list(self.plugged)
        self.rescans += 1

    def InputStream(self, **kw: Any) -> FakeStream:
        return FakeStream(self, **kw)

    def OutputStream(self, **kw: Any) -> FakeStream:
        return FakeStream(self, **kw)

    def Stream(self, **kw: Any) -> FakeStream:
        return FakeStream(self, **kw)


def make(sd: FakeSd, **settings: Any) -> PortAudioBackend:
    return PortAudioBackend(sd, AudioSettings(**settings), dev.list_devices(sd))


def live(sd: FakeSd) -> list[FakeStream]:
    return [s for s in sd.opened if s.active and not s.closed]


def kinds(b: PortAudioBackend) -> list[tuple[str, str]]:
    out = []
    while b._notices:
        n = b._notices.popleft()
        out.append((n.kind, n.device))
    return out


def test_call_audio_opens_one_duplex_stream_on_the_chosen_device() -> None:
    sd = FakeSd([BUILTIN, HEADSET])
    b = make(sd, input=HEADSET["name"], output=HEADSET["name"], ringer=BUILTIN["name"])
    b._in_call = True
    b._reconcile()
    (stream,) = live(sd)
    assert stream.device == (1, 1) and stream.kw["samplerate"] == 48000
    b._in_call = False
    b._ringing = True
    b._reconcile()
    (ringer,) = live(sd)
    assert ringer.device == 0 and stream.closed


def test_unplugged_headset_falls_back_then_is_offered_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chosen_devices, "RESCAN_SECONDS", 0.0)
    sd = FakeSd([BUILTIN, HEADSET])
    b = make(sd, input=HEADSET["name"], output=HEADSET["name"])
    b._in_call = True
    b._reconcile()
    (stream,) = live(sd)
    # unplugged: the stream stops with an error and the device leaves the list
    sd.plugged = [BUILTIN]
    stream.active = False
    b._check_health()
    b._reconcile()
    notices = kinds(b)
    assert ("device_lost", HEADSET["name"]) in notices
    assert ("fallback", BUILTIN["name"]) in notices
    (fallback,) = live(sd)
    assert fallback.device == (0, 0), "the call goes on with the built-in device"
    # plugged back in (another card number) while the call is still up: not yet re-scanned
    sd.plugged = [BUILTIN, {**HEADSET, "name": "USB Headset (hw:2,0)"}]
    b._look_for_missing()
    assert kinds(b) == []
    # the call ends: streams close, the device list is re-read, the headset is offered again
    b._in_call = False
    b._reconcile()
    b._look_for_missing()
    assert ("device_back", HEADSET["name"]) in kinds(b)
    b._in_call = True
    b._reconcile()
    (again,) = live(sd)
    assert again.device == (1, 1)


def test_a_missing_chosen_device_uses_the_default_and_says_so() -> None:
    sd = FakeSd([BUILTIN])
    b = make(sd, output="Bluetooth Speaker", input=None)
    b._in_call = True
    b._reconcile()
    assert ("fallback", "Bluetooth Speaker") in kinds(b)
    (stream,) = live(sd)
    assert stream.device == (0, 0)


def test_a_ringer_that_cannot_open_rings_in_the_call_output() -> None:
    sd = FakeSd([BUILTIN])

    def refuse(**kw: Any) -> FakeStream:
        raise RuntimeError("device busy")

    b = make(sd)
    b._ringing = True
    sd.OutputStream = refuse  # type: ignore[method-assign]
    b._reconcile()
    assert b.sounds.ring_in_output
    sd.OutputStream = lambda **kw: FakeStream(sd, **kw)  # type: ignore[method-assign]
    b._reconcile()
    (_stream,) = live(sd)
    assert b.stream_info()["output"]["stream"] == "output"


def test_listing_devices_rescans_when_idle() -> None:
    sd = FakeSd([BUILTIN])
    b = make(sd)
    assert [d.name for d in b.list_devices()] == [BUILTIN["name"]]
    sd.plugged = [BUILTIN, HEADSET]
    b._look_for_missing()
    assert [d.name for d in b.list_devices()] == [BUILTIN["name"], HEADSET["name"]]
    b._in_call = True  # never while a stream is open
    b._reconcile()
    sd.plugged = [BUILTIN]
    b._chosen.last_rescan = 0.0
    b.list_devices()
    b._look_for_missing()
    assert len(b.list_devices()) == 2
