"""What the backend and its PortAudio callbacks share about a stream: one direction of call
audio (:class:`AudioPath`: rates and the queue) and an open device stream
(:class:`StreamRecord`). A leaf module of the audio package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from softphone.sip.audio import native
from softphone.sip.audio.frames import FrameQueue, frame_samples


class AudioPath:
    """One direction of call audio: device rate, bridge-port rate and the queue between.

    When the device's rate is a multiple of the bridge's clock the port runs at the bridge's
    clock and the PortAudio callback resamples (numpy, see resample.py); otherwise the port
    runs at the device's rate and PJSIP's bridge resamples.
    """

    def __init__(self, device_rate: int, conf_rate: int, native_ok: bool = True) -> None:
        self.device_rate = device_rate
        multiple = device_rate % conf_rate == 0 and device_rate >= conf_rate
        self.factor = device_rate // conf_rate if multiple else 1
        self.rate = conf_rate if multiple else device_rate
        self.samples = frame_samples(self.rate)
        self.queue: Any = native.make_queue(self.samples * 2) if native_ok \
            else FrameQueue(self.samples * 2)


@dataclass
class StreamRecord:
    role: str
    device: int
    name: str
    rate: int
    channels: int
    stream: Any = None
    beats: int = 0
    seen_beats: int = 0
    seen_at: float = 0.0
    native: Any = None  # native.NativeStream when the period runs in C
