"""The bridge between PJSIP's conference bridge and the sound devices.

``pjsua2.AudioMediaPort`` subclasses sit in the conference bridge at the **device's** clock
rate (PJSIP's bridge resamples between them and its own 16 kHz clock in C):

* as a source, PJSIP's clock thread asks a :class:`BridgePort` for a frame
  (``onFrameRequested``) and it hands over the oldest frame the PortAudio input callback queued;
* as a sink, PJSIP's clock thread gives it the call's audio (``onFrameReceived``); the PortAudio
  output callback takes the frames out.

One port does both when the two directions run at one rate (the usual case), else one port
per direction.

Between a producer on one clock and a consumer on the other sits a :class:`FrameQueue`: a
``collections.deque`` of ``bytes`` frames (append/popleft are atomic in CPython: no locks) with
bounded depth. It starts playing once ``target`` frames are queued (prefill), counts an
*underrun* and prefills again when it runs dry, drops the oldest frame (an *overrun*) when it is
above ``max_frames``, and when the producer's clock is faster than the consumer's (drift), drops
one frame whenever the queue never fell to ``target`` during a whole window: latency stays
bounded over a call of any length. Each underrun raises the prefill by a frame (at most two
more), thirty quiet seconds lower it again.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections import deque
from typing import Any

import pjsua2 as pj

log = logging.getLogger("softphone.sip.audio")

FRAME_MS = 20


class FrameQueue:
    """Single-producer, single-consumer queue of equal-sized frames with bounded latency."""

    def __init__(self, frame_bytes: int, target: int = 2, max_frames: int = 6,
                 window: int = 150) -> None:
        self.frame_bytes = frame_bytes
        self.silence = bytes(frame_bytes)
        self.target = target
        # Adaptive prefill: each underrun adds a frame of cushion (up to two more); thirty
        # quiet seconds take one back. Jittery machines trade 20-40 ms for fewer dropouts.
        self.base_target = target
        self.max_target = max(target, min(max_frames - 2, target + 2))
        self._quiet_windows = 0
        self.max_frames = max_frames
        self.window = window
        self.underruns = 0
        self.overruns = 0
        self._q: deque[bytes] = deque()
        self._priming = True
        self._started = False
        self._win_min = 1 << 30
        self._win_n = 0
        # Producer/consumer sequence numbers: tell an idle consumer from a slow one.
        self._puts = 0
        self._gets_at = 0

    def __len__(self) -> int:
        return len(self._q)

    @property
    def depth_ms(self) -> float:
        return len(self._q) * FRAME_MS

    def put(self, frame: bytes) -> None:
        """Producer side (one thread only)."""
        q = self._q
        q.append(frame)
        self._puts += 1
        if len(q) > self.max_frames:
            try:
                q.popleft()
            except IndexError:
                return
            # A consumer that stopped asking (stream closed, port idle) is not an overrun.
            if self._started and self._puts - self._gets_at <= self.max_frames + 2:
                self.overruns += 1

    def get(self) -> bytes | None:
        """Consumer side (one thread only): the next frame, or None for silence."""
        q = self._q
        n = len(q)
        if self._puts - self._gets_at > self.max_frames + 2 and n > self.target:
            # Coming back after being idle: keep only the newest ``target`` frames.
            for _ in range(n - self.target):
                try:
                    q.popleft()
                except IndexError:
                    break
            n = len(q)
            self._priming = False
        self._gets_at = self._puts
        if self._priming:
            if n < self.target:
                return None
            self._priming = False
        if n == 0:
            if self._started:
                self.underruns += 1
                self._quiet_windows = 0
                if self.target < self.max_target:
                    self.target += 1
            self._priming = True
            return None
        self._started = True
        if n < self._win_min:
            self._win_min = n
        self._win_n += 1
        if self._win_n >= self.window:
            if self._win_min > self.target:
                # The producer runs faster than we consume: shed one frame of latency.
                try:
                    q.popleft()
                    self.overruns += 1
                except IndexError:
                    pass
            self._win_min = 1 << 30
            self._win_n = 0
            self._quiet_windows += 1
            if self._quiet_windows * self.window * FRAME_MS >= 30_000 \
                    and self.target > self.base_target:
                self.target -= 1
                self._quiet_windows = 0
        try:
            return q.popleft()
        except IndexError:
            return None

    def clear(self) -> None:
        """Drop everything and prefill again (consumer side, or while nothing runs)."""
        self._q.clear()
        self._priming = True
        self._win_min = 1 << 30
        self._win_n = 0


# --- fast access to a pjsua2 ByteVector's storage --------------------------------------------

_PTR = ctypes.sizeof(ctypes.c_void_p)


def _vector_span(vec: Any) -> tuple[int, int]:
    """(data pointer, size) of a SWIG ``std::vector<unsigned char>`` (begin/end pointers)."""
    addr = int(vec.this)
    begin = ctypes.c_void_p.from_address(addr).value or 0
    end = ctypes.c_void_p.from_address(addr + _PTR).value or 0
    return begin, end - begin


def _check_fast_vectors() -> bool:
    """True when the begin/end layout assumption holds for this build (checked once)."""
    try:
        probe = bytes(range(7, 7 + 64))
        vec = pj.ByteVector(probe)
        ptr, size = _vector_span(vec)
        if size != len(probe) or ctypes.string_at(ptr, size) != probe:
            return False
        vec.resize(128)
        ptr, size = _vector_span(vec)
        ctypes.memmove(ptr, b"\x01" * 128, 128)
        return size == 128 and bytes(vec) == b"\x01" * 128
    except Exception:  # any surprise: use the slow, safe path
        log.exception("fast frame access unavailable")
        return False


FAST_VECTORS = _check_fast_vectors()


def _check_fast_frames() -> int:
    """Offset of ``buf`` in a SWIG ``MediaFrame`` (``type`` at 0), or -1 when the layout is
    not what we expect. Reading a frame's type and samples by address saves the clock thread
    two SWIG calls per frame (each one gives the GIL away and takes it back)."""
    if not FAST_VECTORS:
        return -1
    try:
        probe = bytes(range(11, 11 + 48))
        frame = pj.MediaFrame()
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = pj.ByteVector(probe)
        frame.size = len(probe)
        addr = int(frame.this)
        if ctypes.c_int.from_address(addr).value != pj.PJMEDIA_FRAME_TYPE_AUDIO:
            return -1
        for offset in (_PTR, 2 * _PTR):
            ptr, size = _vector_span_at(addr + offset)
            if size == len(probe) and ctypes.string_at(ptr, size) == probe:
                frame.type = pj.PJMEDIA_FRAME_TYPE_NONE
                if ctypes.c_int.from_address(addr).value == pj.PJMEDIA_FRAME_TYPE_NONE:
                    return offset
        return -1
    except Exception:
        log.exception("fast frame layout unavailable")
        return -1


def _vector_span_at(addr: int) -> tuple[int, int]:
    begin = ctypes.c_void_p.from_address(addr).value or 0
    end = ctypes.c_void_p.from_address(addr + _PTR).value or 0
    return begin, end - begin


FRAME_BUF_OFFSET = _check_fast_frames()
_AUDIO = int(pj.PJMEDIA_FRAME_TYPE_AUDIO)
_memmove = ctypes.memmove
_c_int = ctypes.c_int
_NONE = int(pj.PJMEDIA_FRAME_TYPE_NONE)


def read_frame(frame: Any) -> bytes:
    buf = frame.buf
    if FAST_VECTORS:
        ptr, size = _vector_span(buf)
        return ctypes.string_at(ptr, size) if size else b""
    return bytes(buf)


def read_audio(frame: Any) -> bytes | None:
    """A received frame's samples, or None when it carries no audio."""
    if FRAME_BUF_OFFSET > 0:
        addr = int(frame.this)
        if ctypes.c_int.from_address(addr).value != _AUDIO:
            return None
        ptr, size = _vector_span_at(addr + FRAME_BUF_OFFSET)
        return ctypes.string_at(ptr, size) if size else b""
    if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO:
        return None
    return read_frame(frame)


def write_frame(frame: Any, data: bytes) -> None:
    if FAST_VECTORS:
        buf = frame.buf
        buf.resize(len(data))
        ptr, _ = _vector_span(buf)
        ctypes.memmove(ptr, data, len(data))
    else:
        frame.buf = pj.ByteVector(data)
    if FRAME_BUF_OFFSET > 0:
        ctypes.c_int.from_address(int(frame.this)).value = _AUDIO
    else:
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO


def _format(rate: int) -> Any:
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, rate, 1, FRAME_MS * 1000, 16)
    return fmt


def frame_samples(rate: int) -> int:
    return rate * FRAME_MS // 1000


_pinned_threads: set[int] = set()
_get_ident = threading.get_ident


def _pin_thread_state() -> None:
    """PJSIP's clock thread is not a Python thread: around every callback SWIG's
    PyGILState_Ensure/Release create and destroy a Python thread state for it (a third of the
    callback's cost). One Ensure that is never released keeps that thread state for the
    thread's life; the GIL itself is still given back after each callback."""
    ident = _get_ident()
    if ident not in _pinned_threads:
        _pinned_threads.add(ident)
        ctypes.pythonapi.PyGILState_Ensure()


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
    _vec: Any = None
    _vec_ptr = 0
    native: Any = None  # native.NativePort: PJSIP calls C, not the methods below

    def __init__(self, name: str, rate: int, mic: Any, speaker: Any) -> None:
        super().__init__()
        self.rate = rate
        self.mic = mic
        self.speaker = speaker
        self._muted = False
        self.errors = 0
        # The frame handed to PJSIP is copied into this vector's storage, then the vector is
        # assigned to the frame: one SWIG call per frame instead of two (read ``buf``, resize).
        if mic is not None and FRAME_BUF_OFFSET > 0:
            self._vec = pj.ByteVector(mic.silence)
            self._vec_ptr = _vector_span(self._vec)[0]
        self.createPort(name, _format(rate))
        from softphone.sip.audio import native

        self.native = native.attach_port(self, name, mic, speaker)

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, muted: bool) -> None:
        self._muted = muted
        if self.native is not None:
            self.native.set_muted(muted)

    def onFrameRequested(self, frame: Any) -> None:  # PJSIP clock thread
        try:
            if _get_ident() not in _pinned_threads:
                _pin_thread_state()
            q = self.mic
            if q is None:
                frame.type = pj.PJMEDIA_FRAME_TYPE_NONE  # a speaker-only port sends nothing
                return
            data = q.get()
            if data is None or self._muted:
                data = q.silence
            vec = self._vec
            if vec is not None and len(data) == q.frame_bytes:
                _memmove(self._vec_ptr, data, q.frame_bytes)
                frame.buf = vec
                _c_int.from_address(int(frame.this)).value = _AUDIO
            else:
                write_frame(frame, data)
        except Exception:
            self.errors += 1

    def onFrameReceived(self, frame: Any) -> None:  # PJSIP clock thread
        try:
            if _get_ident() not in _pinned_threads:
                _pin_thread_state()
            q = self.speaker
            if q is None:
                return
            data = read_audio(frame)
            q.put(data if data is not None and len(data) == q.frame_bytes else q.silence)
        except Exception:
            self.errors += 1
