"""A stream's RTCP session moved onto its RTP clock (audio/rtcp_clock.c, sip/rtcp_clock.py).

pjmedia's own RTCP session (pjmedia_rtcp_init2 / pjmedia_rtcp_rx_rtp2 of the wheel) is fed
Opus's 48 kHz timestamps while it counts at the negotiated decode rate, as pjmedia 2.15.1 sets
it up for an Opus stream; the correction must bring the jitter down to what the packets'
timing says, at every Opus decode rate, early (before pjmedia computes jitter) or late.
"""

from __future__ import annotations

from typing import Any

import pytest

from softphone.sip import rtcp_clock
from softphone.sip.audio import native
from tests.unit.sip.test_audio_bridge import require_native

SESSION_BYTES = 4 * 0x2B0  # room beyond 2.15.1's sizeof(pjmedia_rtcp_session)
OPUS_RATES = [8000, 12000, 16000, 24000]


class Session:
    """A pjmedia RTCP session made by the wheel, as a stream makes it for Opus."""

    def __init__(self, clock: int) -> None:
        require_native()
        assert native.pj_available(), native.pj_why_not
        self.buf = native.ffi.new("char[]", SESSION_BYTES)
        self.sess = native.ffi.cast("pjmedia_rtcp_session *", self.buf)
        st = native.ffi.new("pjmedia_rtcp_session_setting *")
        native.lib.sp_pj.pjmedia_rtcp_session_setting_default(st)
        st.clock_rate = clock
        st.samples_per_frame = clock // 50  # 20 ms
        native.lib.sp_pj.pjmedia_rtcp_init2(self.sess, st)
        self.seq = 100
        self.ts = 0

    def u32(self, offset: int) -> int:
        return int(native.ffi.cast("unsigned *", self.buf + offset)[0])

    def packets(self, n: int) -> None:
        """``n`` packets 20 ms of Opus timestamps (960) apart, arriving back to back."""
        for _ in range(n):
            self.seq += 1
            self.ts += 960
            native.lib.sp_pj.pjmedia_rtcp_rx_rtp2(self.sess, self.seq, self.ts, 60, 0)

    def updates(self) -> int:
        return self.u32(0x1B8)  # stat.rx.jitter.n

    def jitter_ms(self) -> float:
        """The last jitter pjmedia computed (stat.rx.jitter.last, usec)."""
        return self.u32(0x1B8 + 12) / 1000.0

    def set_clock(self, clock: int) -> int:
        return int(native.lib.sp_rtcp_session_set_clock(self.sess, clock))


def rfc3550_ms(updates: int, clock: int) -> float:
    """RFC 3550's estimate as rtcp.c computes it, read at ``clock``, after ``updates``
    back-to-back packets whose timestamps step 960: each differs by 960 units of ``clock``."""
    j = 0
    for _ in range(updates):
        j += 960 - ((j + 8) >> 4)
    return (j >> 4) * 1000.0 / clock


@pytest.mark.parametrize("rate", OPUS_RATES)
def test_late_correction_restarts_the_jitter_on_the_rtp_clock(rate: int) -> None:
    s = Session(rate)
    s.packets(32)
    assert s.updates() > 0
    # pjmedia's view at the decode clock: 960 timestamp units read as 960 of its samples
    assert s.jitter_ms() == pytest.approx(rfc3550_ms(s.updates(), rate), rel=0.15)
    assert s.set_clock(48000) == 1
    assert (s.u32(0x80), s.u32(0x84), s.u32(0x88)) == (48000, 960, 960)
    assert s.updates() == 0  # the statistics start again
    s.packets(8)
    assert s.updates() == 7  # the first packet only restarts the transit time
    # the same arrivals now read at 48 kHz: 20 ms each, not 20 ms * 48000 / rate as before
    assert s.jitter_ms() == pytest.approx(rfc3550_ms(7, 48000), rel=0.15)
    assert s.set_clock(48000) == 0  # once is enough


@pytest.mark.parametrize("rate", OPUS_RATES)
def test_early_correction_leaves_nothing_from_the_old_clock(rate: int) -> None:
    s = Session(rate)
    s.packets(5)  # pjmedia only notes transit times during its first 25 packets
    assert s.updates() == 0
    assert s.set_clock(48000) == 1
    assert s.u32(0x80) == 48000
    s.packets(30)
    assert s.updates() > 0
    assert s.jitter_ms() == pytest.approx(rfc3550_ms(s.updates(), 48000), rel=0.15)


def test_a_clock_that_does_not_divide_the_rtp_clock_is_refused() -> None:
    s = Session(44100)
    assert s.set_clock(48000) == -1
    assert "no divisor" in native.ffi.string(native.lib.sp_rtcp_error()).decode()
    assert s.u32(0x80) == 44100


def test_without_the_c_module_an_opus_jitter_is_left_unreported(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "pj_available", lambda: False)
    monkeypatch.setattr(native, "pj_why_not", "test")
    stream: Any = object()
    assert rtcp_clock.correct_stream(stream, "opus", 16000) is False
    assert rtcp_clock.correct_stream(stream, "opus", 48000) is True
    assert rtcp_clock.correct_stream(stream, "PCMU", 8000) is True
    assert rtcp_clock.correct_stream(stream, "G722", 8000) is True
