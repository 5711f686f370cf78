"""Codecs: Opus (our own pjmedia codec factory in C, ``audio/opus_codec.c``) and the order in
which codecs are offered.

The factory is registered with the endpoint's codec manager when the session opens (on the
SIP thread, after ``libInit``); that only fills in tables. libopus itself is loaded by the C
code at the first call that uses Opus, so nothing here slows the start.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from softphone.settings import DEFAULT_CODECS

__all__ = ["DEFAULT_CODECS", "apply_codec_order", "describe_concealment", "register_g7xx_plc",
           "register_opus"]

log = logging.getLogger("softphone.sip")

OPUS_ID = "opus/48000/2"
# Priorities of the listed codecs: 250, 249, ... (PJSIP's highest is 255); codecs not listed
# keep PJSIP's own, lower priorities and are offered after them.
TOP_PRIORITY = 250
# What Opus's encoder does (the peer's maxaveragebitrate may lower the bitrate). In-band FEC
# takes its bits from the voice: while it is on, the encoder gets more (bench/README.md).
OPUS_BITRATE = 32000
OPUS_FEC_BITRATE = 40000
OPUS_COMPLEXITY = 10
OPUS_EXPECTED_LOSS = 10
_LIBOPUS = "libopus.so.0"
_LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
             "/usr/lib", "/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/local/lib")


def find_libopus() -> str | None:
    """The libopus to load at the first call: bundled with a frozen app, else the system's
    (a few stat calls; nothing is loaded here). ``SOFTPHONE_LIBOPUS`` names another file."""
    override = os.environ.get("SOFTPHONE_LIBOPUS")
    if override is not None:
        return override if override and Path(override).is_file() else None
    bundle = getattr(sys, "_MEIPASS", None)
    dirs: list[str] = [bundle] if bundle else []
    dirs += [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    dirs += list(_LIB_DIRS)
    for d in dirs:
        candidate = Path(d) / _LIBOPUS
        if candidate.is_file():
            return str(candidate)
    return None


class OpusStatus:
    """Whether Opus is offered in this process, and why not when it is not."""

    available = False
    reason = "not registered yet"


def register_opus(pjsua2_module: Any) -> bool:
    """Register the Opus factory with the running endpoint (SIP thread, after libInit).
    Returns False, with a log line saying why, when Opus cannot be offered."""
    if os.environ.get("SOFTPHONE_NO_OPUS") == "1":
        return _unavailable("SOFTPHONE_NO_OPUS=1")
    try:
        from softphone.sip.audio import _opus  # type: ignore[attr-defined]
    except ImportError as exc:
        return _unavailable(f"the compiled codec module is missing ({exc})")
    library = find_libopus()
    if library is None:
        return _unavailable(f"{_LIBOPUS} was not found (install libopus0)")
    lib = _opus.lib
    lib.sp_opus_configure(OPUS_BITRATE, OPUS_FEC_BITRATE, OPUS_COMPLEXITY, OPUS_EXPECTED_LOSS)
    pjsua2_path = pjsua2_module._pjsua2.__file__
    if lib.sp_opus_register(pjsua2_path.encode(), library.encode()) != 0:
        return _unavailable(_opus.ffi.string(lib.sp_opus_error()).decode(errors="replace"))
    OpusStatus.available = True
    OpusStatus.reason = f"{library}, loaded at the first call"
    log.info("Opus codec registered (%s)", OpusStatus.reason)
    return True


class ConcealmentStatus:
    """Whose loss concealment G.722, PCMA and PCMU use in this process, and why."""

    ours = False
    reason = "not registered yet"


def register_g7xx_plc(pjsua2_module: Any) -> bool:
    """Give G.722, PCMA and PCMU our own loss concealment (g7xx_codecs.c, g7xx_plc.c: pitch
    repetition in the manner of G.711 Appendix I) instead of pjmedia's (SIP thread, after
    libInit). ``SOFTPHONE_PJMEDIA_PLC=1`` leaves them to pjmedia (for comparisons). Returns
    False, with a log line saying why, when pjmedia's concealment stays."""
    if os.environ.get("SOFTPHONE_PJMEDIA_PLC") == "1":
        log.info("G.722/G.711 loss concealment left to pjmedia (SOFTPHONE_PJMEDIA_PLC=1)")
        return _pjmedia_conceals("SOFTPHONE_PJMEDIA_PLC=1")
    try:
        from softphone.sip.audio import _opus  # type: ignore[attr-defined]
    except ImportError as exc:
        log.warning("G.722/G.711 loss concealment left to pjmedia: the compiled module is "
                    "missing (%s)", exc)
        return _pjmedia_conceals(f"the compiled module is missing ({exc})")
    lib = _opus.lib
    if lib.sp_g7xx_register(pjsua2_module._pjsua2.__file__.encode()) != 0:
        reason = _opus.ffi.string(lib.sp_g7xx_error()).decode(errors="replace")
        log.warning("G.722/G.711 loss concealment left to pjmedia: %s", reason)
        return _pjmedia_conceals(reason)
    log.info("G.722/G.711 loss concealment: ours (g7xx_plc.c)")
    ConcealmentStatus.ours = True
    ConcealmentStatus.reason = ""
    return True


def _pjmedia_conceals(reason: str) -> bool:
    ConcealmentStatus.ours = False
    ConcealmentStatus.reason = reason
    return False


def describe_concealment() -> str:
    """For ``softphone diagnostics``: whose concealment of lost G.722/G.711 packets runs."""
    if ConcealmentStatus.ours:
        return "ours (g7xx_plc.c: pitch repetition) for G.722, PCMA, PCMU"
    if ConcealmentStatus.reason != "not registered yet":
        return f"pjmedia's: {ConcealmentStatus.reason}"
    if os.environ.get("SOFTPHONE_PJMEDIA_PLC") == "1":
        return "pjmedia's: SOFTPHONE_PJMEDIA_PLC=1"
    try:
        from softphone.sip.audio import _opus  # type: ignore[attr-defined]  # noqa: F401
    except ImportError as exc:
        return f"pjmedia's: the compiled module is missing ({exc})"
    return "ours (g7xx_plc.c: pitch repetition) for G.722, PCMA, PCMU, from the engine's start"


def _unavailable(reason: str) -> bool:
    OpusStatus.available = False
    OpusStatus.reason = reason
    log.warning("Opus is not offered: %s", reason)
    return False


def describe() -> str:
    """For ``softphone diagnostics``: whether Opus can be offered, and from which libopus."""
    if OpusStatus.available:
        return f"yes ({OpusStatus.reason})"
    if OpusStatus.reason != "not registered yet":
        return f"no: {OpusStatus.reason}"
    try:
        from softphone.sip.audio import _opus  # type: ignore[attr-defined]  # noqa: F401
    except ImportError as exc:
        return f"no: the compiled codec module is missing ({exc})"
    library = find_libopus()
    if library is None:
        return f"no: {_LIBOPUS} was not found (install libopus0)"
    return f"yes ({library}, loaded at the first call)"


def libopus_loaded() -> bool:
    """Whether libopus has been loaded into this process (it is at the first Opus call)."""
    try:
        from softphone.sip.audio import _opus  # type: ignore[attr-defined]
    except ImportError:
        return False
    return bool(_opus.lib.sp_opus_loaded())


class ReportedLoss:
    """The loss the far ends report (RTCP) for what we send on Opus calls, handed to the
    encoder so its in-band FEC is sized to it (FEC takes bits from the voice: at 32 kbit/s,
    planning for 10 % loss costs ~0.4 PESQ when nothing is lost). SIP thread only.

    The figure is the share lost over the last WINDOW_S seconds of reports, taken when a new
    report has come and over at least MIN_PACKETS packets: the first report comes at once
    (nothing lost yet, nothing known), and a figure from a few packets would switch FEC off
    for the first seconds of a lossy call (its first words). Until then the codec keeps its
    default (10 %). It moves by 2 points or more only (each change makes libopus code one
    packet's FEC coarsely), or to and from 0."""

    WINDOW_S = 10.0
    MIN_PACKETS = 100

    def __init__(self) -> None:
        self.by_call: dict[int, int] = {}
        self.reports: dict[int, int] = {}
        self.history: dict[int, deque[tuple[float, int, int]]] = {}
        self.applied: int | None = None

    def observe(self, call_id: int, sent: int, lost: int, reports: int,
                now: float | None = None) -> None:
        """A call's cumulative figures: packets sent, lost as reported, RTCP reports."""
        history = self.history.get(call_id)
        if history and (sent < history[-1][1] or reports < self.reports.get(call_id, 0)):
            # counters that went back: a new call with an ended call's id (pjsua reuses them),
            # whose figures came after its forget(); without this the new call kept the old
            # one's figure (FEC off after a call without loss) until its counters passed them
            self.forget(call_id)
        if reports <= 0 or sent <= 0 or self.reports.get(call_id) == reports:
            return  # no report, or nothing new from the far end since the last look
        self.reports[call_id] = reports
        now = time.monotonic() if now is None else now
        history = self.history.setdefault(call_id, deque())
        history.append((now, sent, max(0, lost)))
        while len(history) > 2 and now - history[1][0] >= self.WINDOW_S:
            history.popleft()
        _, sent0, lost0 = history[0]
        if sent - sent0 < self.MIN_PACKETS:
            return  # too few packets reported on: the codec keeps what it has
        measured = 100.0 * max(0, lost - lost0) / (sent - sent0)
        # as measured: planning for more than is lost costs the voice more than FEC gives back
        # (32 kbit/s, 10 % loss: expected 10 % scored ~0.15 over 12 %, ~0.5 over 15 %)
        new = min(50, math.ceil(measured)) if measured > 0 else 0
        old = self.by_call.get(call_id)
        if old is None or abs(new - old) >= 2 or (new == 0) != (old == 0):
            self.by_call[call_id] = new
            self._apply()

    def forget(self, call_id: int) -> None:
        self.reports.pop(call_id, None)
        self.history.pop(call_id, None)
        if self.by_call.pop(call_id, None) is not None:
            self._apply()

    def _apply(self) -> None:
        worst = max(self.by_call.values(), default=-1)
        if worst == self.applied:
            return
        self.applied = worst
        try:
            from softphone.sip.audio import _opus  # type: ignore[attr-defined]
        except ImportError:
            return
        _opus.lib.sp_opus_set_reported_loss(worst)


reported_loss = ReportedLoss()


def matches(name: str, codec_id: str) -> bool:
    """Whether a settings name ("opus", "G722", "speex/16000") names a codec id
    ("opus/48000/2", "G722/16000/1", "speex/16000/1")."""
    want = name.lower().split("/")
    have = codec_id.lower().split("/")
    return have[: len(want)] == want


def priorities(order: Sequence[str], codec_ids: Iterable[str]) -> dict[str, int]:
    """The priority to give each available codec id that the order names."""
    ids = list(codec_ids)
    result: dict[str, int] = {}
    for rank, name in enumerate(order):
        for codec_id in ids:
            if codec_id not in result and matches(name, codec_id):
                result[codec_id] = TOP_PRIORITY - rank
    return result


# PJSIP's own priorities, as first seen (the same for every Endpoint of a process): a codec
# taken off the list goes back to its own place.
_pjsip_priorities: dict[str, int] = {}


def apply_codec_order(ep: Any, order: Sequence[str]) -> list[str]:
    """Give the endpoint's codecs the settings' order; returns the ids now first, in order."""
    infos = list(ep.codecEnum2())
    for info in infos:
        _pjsip_priorities.setdefault(str(info.codecId), int(info.priority))
    ids = [str(info.codecId) for info in infos]
    wanted = priorities(order, ids)
    floor = TOP_PRIORITY - len(order)
    for codec_id in ids:
        if codec_id in wanted:
            ep.codecSetPriority(codec_id, wanted[codec_id])
        else:
            ep.codecSetPriority(codec_id, min(_pjsip_priorities[codec_id], floor - 1))
    missing = [n for n in order if not any(matches(n, i) for i in ids)]
    if missing:
        log.info("codecs not available here: %s", ", ".join(missing))
    return sorted(wanted, key=lambda i: -wanted[i])
