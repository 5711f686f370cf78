"""The bridge between PJSIP's conference bridge and the sound devices.

``pjsua2.AudioMediaPort`` subclasses sit in the conference bridge at the **device's** clock
rate (PJSIP's bridge resamples between them and its own 16 kHz clock in C):

* as a source, PJSIP's clock thread asks a :class:`BridgePort` for a frame
  (``onFrameRequested``) and it hands over the oldest frame the PortAudio input callback queued;
* as a sink, PJSIP's clock thread gives it the call's audio (``onFrameReceived``); the PortAudio
  output callback takes the frames out.

One port does both when the two directions run at one rate (the usual case), else one port
per direction.

The frames between a producer on one clock and a consumer on the other wait in a
:class:`~softphone.sip.audio.frames.FrameQueue`.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import pjsua2 as pj

from softphone.sip.audio.frames import FRAME_MS

log = logging.getLogger("softphone.sip.audio")

def _format(rate: int) -> Any:
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, rate, 1, FRAME_MS * 1000, 16)
    return fmt


class BridgePort(pj.AudioMediaPort):  # type: ignore[misc]
    """One port in the conference bridge for the call audio of the sound devices.

    As a source (``onFrameRequested``) it hands over the oldest microphone frame the
    PortAudio input callback queued (``local_source``); as a sink (``onFrameReceived``) it
    queues what the calls say for the PortAudio output callback. When the microphone and the
    speaker run at one rate a single port does both, so PJSIP's clock thread calls Python
    twice per 20 ms instead of three times (a port nobody transmits to still gets an empty
    frame every tick); otherwise there is one port per direction (``mic`` or ``speaker`` None).
    """

    # Class-level defaults: while the object is being destroyed its __dict__ is gone before
    # the C++ port leaves the bridge, and the clock thread may still call in.
    mic: Any = None  # FrameQueue or native.NativeQueue
    speaker: Any = None
    _muted = False
    errors = 0

    def __init__(self, name: str, rate: int, mic: Any, speaker: Any) -> None:
        super().__init__()
        self.rate = rate
        self.mic = mic
        self.speaker = speaker
        self._muted = False
        self.errors = 0
        self.createPort(name, _format(rate))

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, muted: bool) -> None:
        self._muted = muted

    def wire(self, media: Any, speaker: Any = None) -> None:
        """The call's audio to ``speaker`` (this port by default) and our microphone to it."""
        media.startTransmit(speaker or self)
        self.startTransmit(media)

    def unwire(self, media: Any, speaker: Any = None) -> None:
        for source, sink in ((media, speaker or self), (self, media)):
            with contextlib.suppress(Exception):  # the call's media may already be gone
                source.stopTransmit(sink)

    def close(self) -> None:
        """Nothing to do: pjsua2 removes the port from the bridge when it is deleted."""

    def onFrameRequested(self, frame: Any) -> None:  # PJSIP clock thread
        try:
            q = self.mic
            if q is None:
                frame.type = pj.PJMEDIA_FRAME_TYPE_NONE  # a speaker-only port sends nothing
                return
            data = q.get()
            if data is None or self._muted:
                data = q.silence
            frame.buf = pj.ByteVector(data)
            frame.size = len(data)
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        except Exception:
            self.errors += 1

    def onFrameReceived(self, frame: Any) -> None:  # PJSIP clock thread
        try:
            q = self.speaker
            if q is None:
                return
            data = bytes(frame.buf) if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO else b""
            q.put(data if len(data) == q.frame_bytes else q.silence)
        except Exception:
            self.errors += 1
