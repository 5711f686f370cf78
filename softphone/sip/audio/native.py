"""The compiled per-frame audio path (``_native``, built from ``native.c``), when it is there.

``lib`` is None when the module was not built (no compiler at bootstrap), is stale (built from
another ``native.c``) or ``SOFTPHONE_NO_NATIVE_AUDIO`` is set: the audio path then stays in
Python (bridge.FrameQueue, callbacks.py, the BridgePort's Python methods), one log line says so.

* :class:`NativeQueue`: bridge.FrameQueue's policy in C, the same Python interface;
* :class:`NativeStream`: a call stream's state for the C PortAudio callback;
* :func:`attach_port`: PJSIP's clock thread calls C instead of the BridgePort's Python methods.
  The pjmedia_port inside pjsua2's AudioMediaPort is found and checked once per process
  (:func:`_port_layout`): any surprise keeps the Python methods.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

log = logging.getLogger("softphone.sip.audio")

ffi: Any = None
lib: Any = None
why_not = ""  # why the Python path runs (diagnostics); empty when the C path is loaded


def _load() -> None:
    global ffi, lib, why_not
    if os.environ.get("SOFTPHONE_NO_NATIVE_AUDIO"):
        why_not = "SOFTPHONE_NO_NATIVE_AUDIO is set"
        log.info("audio path in Python: %s", why_not)
        return
    try:
        from softphone.sip.audio import _native  # type: ignore[attr-defined]
    except ImportError as exc:
        why_not = f"the compiled module is not built ({exc}); scripts/bootstrap.sh builds it"
        log.info("audio path in Python: %s", why_not)
        return
    try:
        from softphone.sip.audio.native_build import SOURCE, source_digest

        digest = _native.ffi.string(_native.lib.sp_digest()).decode()
        if SOURCE.exists() and digest != source_digest():
            why_not = "the compiled module is older than native.c; run scripts/bootstrap.sh"
            log.warning("audio path in Python: %s", why_not)
            return
    except Exception:  # a frozen app has no native.c: the module it ships is the one
        pass
    ffi, lib = _native.ffi, _native.lib


_load()


def available() -> bool:
    return lib is not None


class NativeQueue:
    """bridge.FrameQueue in C: the PortAudio callback and the bridge port use it without
    Python; put/get from Python work too (tests, the Python fallbacks)."""

    def __init__(self, frame_bytes: int, target: int = 2, max_frames: int = 6,
                 window: int = 150) -> None:
        self.frame_bytes = frame_bytes
        self.silence = bytes(frame_bytes)
        self.max_frames = max_frames
        self.window = window
        self.base_target = target
        cap = max_frames + 4  # slack so a slot is never rewritten while it is being read
        self._data = ffi.new("char[]", cap * frame_bytes)
        self.c = ffi.new("sp_queue *")
        lib.sp_queue_init(self.c, self._data, frame_bytes, cap, target, max_frames, window)
        self._out = ffi.new("char[]", frame_bytes)

    def __len__(self) -> int:
        return int(lib.sp_queue_len(self.c))

    @property
    def depth_ms(self) -> float:
        from softphone.sip.audio.bridge import FRAME_MS

        return len(self) * FRAME_MS

    @property
    def target(self) -> int:
        return int(self.c.target)

    @property
    def max_target(self) -> int:
        return int(self.c.max_target)

    @property
    def underruns(self) -> int:
        return int(self.c.underruns)

    @property
    def overruns(self) -> int:
        return int(self.c.overruns_get + self.c.overruns_put)

    def put(self, frame: bytes) -> None:
        if len(frame) != self.frame_bytes:
            frame = (bytes(frame) + self.silence)[: self.frame_bytes]
        lib.sp_queue_put(self.c, frame)

    def get(self) -> bytes | None:
        if not lib.sp_queue_get(self.c, self._out):
            return None
        return bytes(ffi.buffer(self._out, self.frame_bytes))

    def clear(self) -> None:
        lib.sp_queue_clear(self.c)


def make_queue(frame_bytes: int) -> Any:
    if lib is not None:
        return NativeQueue(frame_bytes)
    from softphone.sip.audio.bridge import FrameQueue

    return FrameQueue(frame_bytes)


# --- the PortAudio call stream -------------------------------------------------------------

def _hook_body(handle: Any, frames: int) -> None:
    stream: NativeStream = ffi.from_handle(handle)
    try:
        stream.mix_hook(stream)
    except Exception:
        stream.hook_errors += 1


class NativeStream:
    """What the C callback of one call stream works on (kept alive by the stream object).
    ``mix_hook(stream)`` runs on the PortAudio thread while ``extras`` is on: it adds the local
    sounds into ``stream.mix`` (int32, the call already in it) and may turn ``extras`` off."""

    def __init__(self, frames: int, ch_in: int, ch_out: int, in_queue: Any, out_queue: Any,
                 in_factor: int, out_factor: int, mix_hook: Any) -> None:
        from softphone.sip.audio.resample import lowpass, upsample_taps

        self.c = ffi.new("sp_stream *")
        c = self.c
        self._keep: list[Any] = []
        c.frames, c.ch_in, c.ch_out = frames, ch_in, ch_out
        c.in_samples = frames // in_factor
        c.out_samples = frames // out_factor
        if in_queue is not None:
            c.in_q = in_queue.c
            self._keep.append(in_queue)
            if in_factor > 1:
                h = lowpass(in_factor)
                c.down = self._fir(np.ascontiguousarray(h[::-1], dtype=np.float32), len(h),
                                   in_factor, 1, frames)
        if out_queue is not None:
            c.out_q = out_queue.c
            self._keep.append(out_queue)
            if out_factor > 1:
                coef = upsample_taps(out_factor)
                c.up = self._fir(np.ascontiguousarray(coef.T), len(coef), 1, out_factor,
                                 c.out_samples)  # one row of taps per output phase
        self._dev = ffi.new("int16_t[]", frames)
        self._frame = ffi.new("int16_t[]", max(c.in_samples, c.out_samples, 1))
        self._mix = ffi.new("int32_t[]", frames)
        c.dev_mono, c.frame, c.mix = self._dev, self._frame, self._mix
        self.mix = np.frombuffer(ffi.buffer(self._mix), dtype=np.int32)
        self.mix_hook = mix_hook
        self.hook_errors = 0
        self._handle = ffi.new_handle(self)
        c.hook_handle = self._handle

    def _fir(self, coef: Any, span: int, step: int, out: int, block: int) -> Any:
        f = ffi.new("sp_fir *")
        coef_c = ffi.new("float[]", coef.reshape(-1).tolist())
        buf = ffi.new("float[]", span - 1 + block)
        f.span, f.step, f.out, f.block, f.coef, f.buf = span, step, out, block, coef_c, buf
        self._keep += [f, coef_c, buf]
        return f

    def set_extras(self, on: bool) -> None:
        self.c.extras = 1 if on else 0

    def take_peaks(self) -> tuple[int, int]:
        both = lib.sp_take_peaks(self.c)
        return both >> 16, both & 0xFFFF

    @property
    def beats(self) -> int:
        return int(self.c.beats)

    @property
    def errors(self) -> int:
        return int(self.c.errors) + self.hook_errors

    @property
    def xruns(self) -> int:
        return int(self.c.xruns)

    def callback_for(self, other_ffi: Any) -> tuple[Any, Any]:
        """(PaStreamCallback pointer, user data) as cdata of ``other_ffi`` (sounddevice's)."""
        fn = int(ffi.cast("uintptr_t", lib.sp_pa_callback_ptr()))
        user = int(ffi.cast("uintptr_t", self.c))
        return other_ffi.cast("PaStreamCallback *", fn), other_ffi.cast("void *", user)


if lib is not None:
    ffi.def_extern(name="sp_mix_hook")(_hook_body)


# --- the bridge port -----------------------------------------------------------------------

_PTR = 8
_layout: dict[str, int] | None = None
_layout_tried = False
_ports: list[Any] = []  # never freed: PJSIP's clock thread may call a port once after removal


def _library() -> str:
    import pjsua2

    return str(pjsua2._pjsua2.__file__)


class _Memory:
    """Reads of this process's memory that cannot crash (``/proc/self/mem``: an address
    that is not mapped is an error, not a segfault); used only to check the layout."""

    def __init__(self) -> None:
        self._fd = os.open("/proc/self/mem", os.O_RDONLY)

    def close(self) -> None:
        os.close(self._fd)

    def read(self, addr: int, n: int) -> bytes | None:
        if not 0x10000 <= addr < (1 << 47):
            return None
        try:
            data = os.pread(self._fd, n, addr)
        except OSError:
            return None
        return data if len(data) == n else None

    def word(self, addr: int) -> int | None:
        data = self.read(addr, _PTR)
        return int.from_bytes(data, "little") if data is not None else None


def _find_port(mem: _Memory, obj: int, name: bytes, info_size: int,
               slot: int | None = None) -> int | None:
    """The pjmedia_port of the pjsua2 AudioMediaPort at ``obj``: pointed to from the object
    (at ``slot``, or searched), named ``name``, its port_data.pdata leading back to ``obj``."""
    slots = [slot] if slot is not None else range(0, 4096, _PTR)
    for off in slots:
        port = mem.word(obj + off)
        if port is None or port == obj or mem.word(port + _PTR) != len(name):
            continue
        name_ptr = mem.word(port)
        if name_ptr is None or mem.read(name_ptr, len(name)) != name:
            continue
        pdata = mem.word(port + info_size)
        if pdata is None or obj not in (pdata, mem.word(pdata)):
            continue
        return off
    return None


def _port_layout() -> dict[str, int] | None:
    """Where pjsua2's AudioMediaPort keeps its pjmedia_port and which of the port's slots are
    put_frame and get_frame: found on a probe port and checked by calling both through C."""
    global _layout, _layout_tried
    if _layout_tried:
        return _layout
    _layout_tried = True
    if lib is None or ffi.sizeof("void *") != _PTR:
        return None
    try:
        mem = _Memory()
    except OSError:
        log.info("bridge port stays in Python: /proc/self/mem is not readable")
        return None
    try:
        _layout = _probe(mem)
    except Exception:
        log.exception("bridge port layout probe")
        _layout = None
    finally:
        mem.close()
    if _layout is None:
        log.info("bridge port stays in Python: pjsua2's port layout is not the expected one")
    return _layout


def _probe(mem: _Memory) -> dict[str, int] | None:
    import pjsua2 as pj

    from softphone.sip.audio.bridge import _format

    library = _library().encode()
    info_size = int(lib.sp_port_info_size(library))
    if info_size <= 0 or info_size > 512:
        return None
    pattern = bytes(range(1, 201)) * 3 + bytes(40)  # 640 bytes

    class Probe(pj.AudioMediaPort):  # type: ignore[misc]
        got: bytes | None = None
        asked = 0

        def onFrameRequested(self, frame: Any) -> None:
            self.asked += 1
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
            frame.buf = pj.ByteVector(pattern[::-1])
            frame.size = len(pattern)

        def onFrameReceived(self, frame: Any) -> None:
            # PJSIP's clock thread also hands this port an empty frame every 20 ms
            data = bytes(frame.buf)
            if data == pattern:
                self.got = data

    name = b"sp-probe"
    probe = Probe()
    probe.createPort(name.decode(), _format(16000))
    obj = int(probe.this)
    try:
        slot = _find_port(mem, obj, name, info_size)
        if slot is None:
            return None
        port = mem.word(obj + slot)
        assert port is not None
        if mem.word(port + info_size + _PTR) != 0:
            return None  # port_data.ldata: ours to use only while nobody else does
        # put_frame and get_frame are the first two slots after port_data that point into
        # pjsua2's library (on_destroy, which may follow, is never called here).
        code = [off for off in range(info_size + 2 * _PTR, info_size + 8 * _PTR, _PTR)
                if lib.sp_in_library(ffi.cast("void *", mem.word(port + off) or 0), library)]
        if len(code) < 2 or code[1] != code[0] + _PTR:
            return None
        found: dict[str, int] = {}
        for off in code[:2]:
            buf = ffi.new("char[]", pattern)
            frame = ffi.new("sp_pj_frame *", {"type": 1, "buf": buf, "size": len(pattern)})
            asked, probe.got = probe.asked, None
            lib.sp_call_frame_fn(ffi.cast("void *", mem.word(port + off)),
                                 ffi.cast("void *", port), frame)
            if probe.asked > asked and probe.got is None and frame.type == 1 \
                    and ffi.buffer(buf, len(pattern))[:] == pattern[::-1]:
                found["get"] = off
            elif probe.got == pattern and ffi.buffer(buf, len(pattern))[:] == pattern:
                found["put"] = off
        if set(found) != {"get", "put"}:
            return None
        return {"slot": slot, "info": info_size, "ldata": info_size + _PTR,
                "get": found["get"], "put": found["put"]}
    finally:
        del probe


class NativePort:
    """A BridgePort's state for C get_frame/put_frame (never freed, see ``_ports``)."""

    def __init__(self, mic: NativeQueue | None, speaker: NativeQueue | None) -> None:
        self.c = ffi.new("sp_port *")
        self._keep = [mic, speaker]
        if mic is not None:
            self.c.mic = mic.c
            self.c.frame_bytes = mic.frame_bytes
        if speaker is not None:
            self.c.spk = speaker.c
            self._silence = ffi.new("char[]", speaker.frame_bytes)
            self.c.silence = self._silence

    def set_muted(self, muted: bool) -> None:
        self.c.muted = 1 if muted else 0


def attach_port(port: Any, name: str, mic: Any, speaker: Any) -> NativePort | None:
    """Make PJSIP call C for this pjsua2 AudioMediaPort (after ``createPort``); None when
    the queues are not native or the layout is not known (the Python methods stay)."""
    if lib is None:
        return None
    if not all(q is None or isinstance(q, NativeQueue) for q in (mic, speaker)):
        return None
    layout = _port_layout()
    if layout is None:
        return None
    obj = int(port.this)
    mem = _Memory()
    try:
        found = _find_port(mem, obj, name.encode(), layout["info"], layout["slot"])
        pj_port = mem.word(obj + layout["slot"]) if found is not None else None
        if pj_port is None or mem.word(pj_port + layout["ldata"]) != 0:
            log.warning("bridge port %s stays in Python: unexpected port contents", name)
            return None
    finally:
        mem.close()
    state = NativePort(mic, speaker)
    _ports.append(state)
    lib.sp_ldata_offset = layout["ldata"]
    lib.sp_store_ptr(ffi.cast("void **", pj_port + layout["ldata"]), ffi.cast("void *", state.c))
    lib.sp_store_ptr(ffi.cast("void **", pj_port + layout["get"]), lib.sp_port_get_ptr())
    lib.sp_store_ptr(ffi.cast("void **", pj_port + layout["put"]), lib.sp_port_put_ptr())
    return state
