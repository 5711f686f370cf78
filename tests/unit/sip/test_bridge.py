"""BridgePort (the Python media port) in a real conference bridge of an in-process Endpoint:
which frame it hands PJSIP (queued, silence when empty or muted, nothing for a speaker-only
port) and what it queues of what PJSIP gives it (only whole frames; silence otherwise)."""

from __future__ import annotations

from typing import Any

import pjsua2 as pj
import pytest

from softphone.sip.audio.bridge import BridgePort
from softphone.sip.audio.frames import FrameQueue, frame_samples

RATE = 16000
FRAME = frame_samples(RATE) * 2  # 16-bit mono: 640 bytes per 20 ms


@pytest.fixture
def queues(pj_endpoint: Any) -> tuple[FrameQueue, FrameQueue]:
    return FrameQueue(FRAME, target=1), FrameQueue(FRAME, target=1)


def requested(port: BridgePort) -> Any:
    frame = pj.MediaFrame()
    port.onFrameRequested(frame)
    return frame


def received(port: BridgePort, data: bytes, kind: int = pj.PJMEDIA_FRAME_TYPE_AUDIO) -> None:
    frame = pj.MediaFrame()
    frame.buf = pj.ByteVector(data)
    frame.size = len(data)
    frame.type = kind
    port.onFrameReceived(frame)


def test_the_port_sits_in_the_bridge_at_the_devices_rate(
        queues: tuple[FrameQueue, FrameQueue]) -> None:
    port = BridgePort("devices", RATE, *queues)
    info = pj.AudioMedia.getPortInfoFromId(port.getPortId())
    assert (info.name, info.format.clockRate) == ("devices", RATE)
    del port


def test_the_microphone_frame_queued_is_the_frame_sent(
        queues: tuple[FrameQueue, FrameQueue]) -> None:
    mic, speaker = queues
    port = BridgePort("devices", RATE, mic, speaker)
    voice = bytes(range(256)) * 2 + bytes(128)
    mic.put(voice)
    frame = requested(port)
    assert frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO
    assert bytes(frame.buf) == voice and frame.size == FRAME
    # nothing queued: silence of a whole frame, not a gap
    assert bytes(requested(port).buf) == bytes(FRAME)
    port.muted = True
    mic.put(voice)
    assert port.muted and bytes(requested(port).buf) == bytes(FRAME)
    assert port.errors == 0
    del port


def test_a_speaker_only_port_sends_nothing(queues: tuple[FrameQueue, FrameQueue]) -> None:
    port = BridgePort("speaker", RATE, None, queues[1])
    assert requested(port).type == pj.PJMEDIA_FRAME_TYPE_NONE
    del port


def test_what_the_calls_say_is_queued_for_the_speaker(
        queues: tuple[FrameQueue, FrameQueue]) -> None:
    _mic, speaker = queues
    port = BridgePort("devices", RATE, None, speaker)
    voice = b"\x01\x02" * (FRAME // 2)
    received(port, voice)
    received(port, voice[:100])  # a short frame becomes silence, never a shifted stream
    received(port, voice, pj.PJMEDIA_FRAME_TYPE_NONE)  # the bridge's heartbeat
    assert [speaker.get() for _ in range(3)] == [voice, bytes(FRAME), bytes(FRAME)]
    assert port.errors == 0
    del port


def test_a_mic_only_port_ignores_what_it_receives(
        queues: tuple[FrameQueue, FrameQueue]) -> None:
    mic, _speaker = queues
    port = BridgePort("mic", RATE, mic, None)
    received(port, bytes(FRAME))
    assert port.errors == 0 and len(mic) == 0
    del port


def test_a_failing_queue_is_counted_not_raised_into_the_clock_thread(
        pj_endpoint: Any) -> None:
    class Broken:
        frame_bytes = FRAME
        silence = bytes(FRAME)

        def get(self) -> bytes:
            raise RuntimeError("boom")

        def put(self, data: bytes) -> None:
            raise RuntimeError("boom")

    port = BridgePort("devices", RATE, Broken(), Broken())
    requested(port)
    received(port, bytes(FRAME))
    assert port.errors == 2
    del port
