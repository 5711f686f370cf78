"""NativeBridgePort (port.c's media port) in a real conference bridge of an in-process
Endpoint: it takes a slot at the devices' rate, wires a call both ways by slot, refuses a bad
slot with a clear error, carries the mute to C and leaves the bridge once."""

from __future__ import annotations

import time
from typing import Any

import pjsua2 as pj
import pytest

from softphone.sip.audio import native
from softphone.sip.audio.frames import frame_samples
from softphone.sip.audio.own_port import NativeBridgePort

RATE = 48000
FRAME = frame_samples(RATE) * 2


class Slot:
    """A call's media as the port sees it: only its conference slot."""

    def __init__(self, slot: int) -> None:
        self.slot = slot

    def getPortId(self) -> int:
        return self.slot


class GoneMedia:
    def getPortId(self) -> int:
        raise pj.Error()


@pytest.fixture
def port(pj_endpoint: Any) -> Any:
    # the C path is part of the build (scripts/bootstrap.sh): missing is a failure
    assert native.pj_available(), native.pj_why_not
    ports: list[NativeBridgePort] = []

    def make(name: str = "devices", mic: bool = True, speaker: bool = True) -> NativeBridgePort:
        p = NativeBridgePort(name, RATE, native.NativeQueue(FRAME) if mic else None,
                             native.NativeQueue(FRAME) if speaker else None)
        ports.append(p)
        return p

    yield make
    for p in ports:
        p.close()


TONE = (b"\x00\x20\x00\xe0") * (FRAME // 4)  # loud enough to survive the bridge's resampling


def heard(endpoint: Any, mic: NativeBridgePort, speaker: NativeBridgePort) -> bool | None:
    """Feed ``mic`` a tone until ``speaker`` gets a frame (10 s at most): True when that frame
    carries sound, False when silence; None when no frame came at all."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        mic.mic.put(TONE)
        endpoint.libHandleEvents(20)
        frame = speaker.speaker.get()
        if frame is not None:
            return any(frame)
    return None


def heard_within(endpoint: Any, mic: NativeBridgePort, speaker: NativeBridgePort,
                 expected: bool) -> bool:
    """The bridge applies (dis)connections on its clock tick: wait for it (10 s at most)."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        if heard(endpoint, mic, speaker) is expected:
            return True
    return False


def test_the_port_takes_a_slot_at_the_devices_rate(port: Any) -> None:
    p = port()
    info = pj.AudioMedia.getPortInfoFromId(p.getPortId())
    assert p.slot >= 0 and (info.name, info.format.clockRate) == ("devices", RATE)


def test_wiring_a_call_connects_both_ways_and_unwiring_undoes_it(pj_endpoint: Any,
                                                                 port: Any) -> None:
    p, call = port("devices"), port("call")
    p.wire(Slot(call.slot))
    assert heard_within(pj_endpoint, p, call, True)  # our microphone to the call
    assert heard_within(pj_endpoint, call, p, True)  # the call to our speaker
    p.unwire(Slot(call.slot))
    assert heard_within(pj_endpoint, p, call, False)
    assert heard_within(pj_endpoint, call, p, False)


def test_the_speaker_of_another_port_gets_the_call(pj_endpoint: Any, port: Any) -> None:
    mic, speaker, call = port("mic", speaker=False), port("speaker", mic=False), port("call")
    mic.wire(Slot(call.slot), speaker)
    assert heard_within(pj_endpoint, call, speaker, True)
    assert heard_within(pj_endpoint, mic, call, True)


def test_a_bad_slot_is_a_clear_error_and_a_missing_one_nothing(port: Any) -> None:
    p = port()
    with pytest.raises(RuntimeError, match=f"could not connect slot {p.slot} to 250"):
        p.startTransmit(Slot(250))
    p.wire(Slot(-1))  # a call without audio yet
    p.unwire(GoneMedia())  # its media already gone


def test_mute_reaches_the_c_port(port: Any) -> None:
    p = port()
    p.muted = True
    assert p.muted and p.c.muted == 1
    p.muted = False
    assert p.c.muted == 0 and p.errors == 0


def test_closing_leaves_the_bridge_once(port: Any) -> None:
    p = port()
    slot = p.slot
    p.close()
    p.close()
    assert p.slot == -1
    p.wire(Slot(slot))  # a closed port connects nothing (and does not raise)
