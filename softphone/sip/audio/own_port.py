"""The call audio's own media port in PJSIP's conference bridge (port.c), seen from Python.

:class:`NativeBridgePort` has the interface of bridge.BridgePort (``mic``, ``speaker``,
``muted``, ``wire``/``unwire`` a call's media, ``startTransmit``/``stopTransmit`` to a
recorder) but PJSIP's clock thread calls C: port.c's get_frame/put_frame on the lock-free
queues. The port is added with pjsua_conf_add_port and connected by conference slot (a call's
``AudioMedia.getPortId()``). Everything here runs on the SIP thread.

A port's C state lives until PJSIP has destroyed the pjmedia_port (its on_destroy, possibly on
the clock thread after the removal); closed ports wait in ``_closed`` until then.
"""

from __future__ import annotations

import logging
from typing import Any

from softphone.sip.audio import native

log = logging.getLogger("softphone.sip.audio")

_closed: list[NativeBridgePort] = []


def _reap() -> None:
    for port in list(_closed):
        if native.lib.sp_port_free(port.c):
            _closed.remove(port)


class NativeBridgePort:
    """One port in the bridge for the sound devices' call audio (``mic`` or ``speaker`` None:
    that direction is another port's)."""

    def __init__(self, name: str, rate: int, mic: Any, speaker: Any) -> None:
        _reap()
        ffi, lib = native.ffi, native.lib
        self.rate = rate
        self.mic = mic
        self.speaker = speaker
        self.name = name
        self.c = ffi.new("sp_port *")
        self._name = ffi.new("char[]", name.encode())
        self._keep = [mic, speaker]
        samples = rate * 20 // 1000
        if mic is not None:
            self.c.mic = mic.c
            self.c.frame_bytes = mic.frame_bytes
        if speaker is not None:
            self.c.spk = speaker.c
            self._silence = ffi.new("char[]", speaker.frame_bytes)
            self.c.silence = self._silence
        slot = lib.sp_port_open(self.c, self._name, rate, samples)
        if slot < 0:
            raise RuntimeError(f"PJSIP refused the audio port {name} (status {-slot})")
        self.slot = int(slot)
        self._muted = False
        self._sinks: set[int] = set()

    # the interface the backend and the recorder wiring use
    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, muted: bool) -> None:
        self._muted = muted
        self.c.muted = 1 if muted else 0

    @property
    def errors(self) -> int:
        return 0

    def getPortId(self) -> int:
        return self.slot

    def startTransmit(self, sink: Any) -> None:
        """Our microphone to ``sink`` (a pjsua2 AudioMedia, e.g. a recorder)."""
        self._connect(self.slot, int(sink.getPortId()))

    def stopTransmit(self, sink: Any) -> None:
        self._disconnect(self.slot, int(sink.getPortId()))

    def wire(self, media: Any, speaker: NativeBridgePort | None = None) -> None:
        """The call's audio to ``speaker`` (this port by default) and our microphone to it."""
        call = int(media.getPortId())
        self._connect(call, (speaker or self).slot)
        self._connect(self.slot, call)

    def unwire(self, media: Any, speaker: NativeBridgePort | None = None) -> None:
        try:
            call = int(media.getPortId())
        except Exception:  # the call's media is already gone (and its connections with it)
            return
        self._disconnect(call, (speaker or self).slot)
        self._disconnect(self.slot, call)

    def _connect(self, source: int, sink: int) -> None:
        if source < 0 or sink < 0:
            return
        st = native.lib.sp_conf_connect(source, sink)
        if st != 0:
            raise RuntimeError(f"PJSIP could not connect slot {source} to {sink} "
                               f"(status {st})")

    def _disconnect(self, source: int, sink: int) -> None:
        if source >= 0 and sink >= 0:
            native.lib.sp_conf_disconnect(source, sink)  # not connected: nothing to undo

    def close(self) -> None:
        """Leave the bridge (idempotent); the C state is freed once PJSIP let go of it."""
        if self.slot < 0:
            return
        st = native.lib.sp_port_close(self.c)
        if st != 0:
            log.warning("removing audio port %s: status %d", self.name, -st)
        self.slot = -1
        _closed.append(self)
        _reap()
