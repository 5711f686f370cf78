"""A call's RTCP figures on its codec's RTP clock (Opus: 48 kHz, whatever rate it decodes at).

pjmedia 2.15.1 gives a stream's RTCP session the stream's decode rate; for Opus that is the
negotiated playback rate (8 to 48 kHz: 16 kHz with our codec), while Opus's RTP timestamps
count 48 kHz (RFC 7587). Its interarrival jitter then is mostly the clock error (~35 ms on an
idle LAN at 16 kHz), and so is the jitter our RTCP reports send. When pjsua has created a
stream, :func:`correct_stream` sets that session's clock right (audio/rtcp_clock.c). Where it
cannot (the C module is not loaded, another pjproject), the call's jitter is left unreported
rather than shown wrong.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("softphone.sip")

#: the RTP clock of Opus (RFC 7587), whatever it is negotiated to decode at
OPUS_RTP_CLOCK = 48000

_warned = False


def rtp_clock(codec: str, stream_clock: int) -> int:
    """The clock a stream's RTP timestamps count, given pjsua's codec name and clock rate."""
    return OPUS_RTP_CLOCK if codec.lower() == "opus" else stream_clock


def correct_stream(stream: Any, codec: str, stream_clock: int) -> bool:
    """Set a new stream's RTCP clock to its RTP clock; False when its jitter stays wrong.

    ``stream`` is pjsua2's ``OnStreamCreatedParam.stream`` (a ``pjmedia_stream*``)."""
    global _warned
    clock = rtp_clock(codec, stream_clock)
    if clock == stream_clock:
        return True  # pjmedia's own clock is right (G.722 it special-cases itself)
    from softphone.sip.audio import native

    if stream is not None and native.pj_available():
        pointer = native.ffi.cast("void *", int(stream))
        if native.lib.sp_rtcp_set_clock(pointer, clock) >= 0:
            return True
        why = native.ffi.string(native.lib.sp_rtcp_error()).decode(errors="replace")
    else:
        why = native.pj_why_not or native.why_not or "no stream"
    if not _warned:
        _warned = True
        log.warning("%s calls report no jitter: RTCP counts %d Hz, not %d Hz (%s)",
                    codec, stream_clock, clock, why)
    return False
