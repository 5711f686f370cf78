"""The call audio's ports on PJSIP's conference bridge (SIP thread): one port when the
microphone and the speaker paths run at one rate, else one each; and the calls wired to them.
Our own C port (own_port.py) when PJSIP's C API is usable and the queues are C, else
pjsua2's AudioMediaPort with Python methods (bridge.py)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from softphone.sip.audio import native
from softphone.sip.audio.bridge import BridgePort
from softphone.sip.audio.own_port import NativeBridgePort
from softphone.sip.audio.streams import AudioPath

log = logging.getLogger("softphone.sip.audio")


class BridgePorts:
    def __init__(self) -> None:
        self.mic: Any = None  # the same port as ``speaker`` at one rate
        self.speaker: Any = None
        self.calls: dict[int, Any] = {}  # call id -> the call's pjsua2 AudioMedia
        self.muted = False

    def stale(self, in_path: AudioPath, out_path: AudioPath) -> bool:
        """Built for other queues than the paths' (a device came back at another rate)."""
        return self.mic is not None and (
            self.mic.mic is not in_path.queue
            or self.speaker is None
            or self.speaker.speaker is not out_path.queue
        )

    def build(self, in_path: AudioPath, out_path: AudioPath) -> None:
        """(Re)create the ports for the paths and re-wire the connected calls."""
        calls = dict(self.calls)
        for media in calls.values():
            self._unwire(media)
        self.close()  # the old ports leave the bridge
        rate_in, rate_out = in_path.rate, out_path.rate
        if rate_in == rate_out:
            self.mic = self.speaker = _make_port("softphone-audio", rate_in, in_path.queue,
                                                 out_path.queue)
        else:
            self.mic = _make_port("softphone-mic", rate_in, in_path.queue, None)
            self.speaker = _make_port("softphone-speaker", rate_out, None, out_path.queue)
        self.mic.muted = self.muted
        for media in calls.values():
            self._wire(media)

    def close(self) -> None:
        for port in {id(p): p for p in (self.mic, self.speaker) if p is not None}.values():
            try:
                port.close()
            except Exception:
                log.exception("closing the audio bridge port")
        self.mic = self.speaker = None

    def connect(self, call_id: int, media: Any) -> None:
        if call_id in self.calls:
            self._unwire(self.calls[call_id])
        self.calls[call_id] = media
        self._wire(media)

    def disconnect(self, call_id: int, media: Any | None) -> None:
        known = self.calls.pop(call_id, None)
        if known is None:
            known = media
        if known is not None:
            self._unwire(known)

    def set_mute(self, muted: bool) -> None:
        self.muted = muted
        if self.mic is not None:
            self.mic.muted = muted

    def _wire(self, media: Any) -> None:
        assert self.mic is not None and self.speaker is not None
        self.mic.wire(media, self.speaker)

    def _unwire(self, media: Any) -> None:
        if self.mic is not None:
            with contextlib.suppress(Exception):  # the call's media may already be gone
                self.mic.unwire(media, self.speaker)


def _make_port(name: str, rate: int, mic: Any, speaker: Any) -> Any:
    if native.pj_available() and all(q is None or isinstance(q, native.NativeQueue)
                                     for q in (mic, speaker)):
        try:
            return NativeBridgePort(name, rate, mic, speaker)
        except Exception:
            log.exception("the C media port failed: the bridge port runs in Python")
    return BridgePort(name, rate, mic, speaker)
