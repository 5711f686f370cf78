"""The compiled per-frame audio path (``_native``, built from native.c, port.c, voice.c and
pj_abi.c by the package build), when it is there.

``lib`` is None when the module was not built, is stale (built from other sources: a source
tree edited since the last ``pip install -e``) or ``SOFTPHONE_NO_NATIVE_AUDIO`` is set: the
audio path then stays in Python (frames.FrameQueue, callbacks.py, bridge.BridgePort), one log
line says so.

* :class:`NativeQueue`: frames.FrameQueue's policy in C, the same Python interface;
* :class:`NativeStream`: a call stream's state for the C PortAudio callback;
* pjproject's C API (pj_abi.h) is bound once (:func:`pj_available`): refused, with a log
  line, unless the loaded library is the pjproject release the declarations were written for.
  With it the bridge port is our own pjmedia_port (own_port.py) and the call streams get the
  echo canceller (voice.py); without it the bridge port is the pjsua2 AudioMediaPort in Python.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from softphone.sip.audio.frames import FRAME_MS, FrameQueue

log = logging.getLogger("softphone.sip.audio")

ffi: Any = None
lib: Any = None
why_not = ""  # why the Python path runs (diagnostics); empty when the C path is loaded
pj_why_not = ""  # why PJSIP's C API is not used (the bridge port stays in Python)
_pj_bound: bool | None = None


def _load() -> None:
    global ffi, lib, why_not
    if os.environ.get("SOFTPHONE_NO_NATIVE_AUDIO"):
        why_not = "SOFTPHONE_NO_NATIVE_AUDIO is set"
        log.info("audio path in Python: %s", why_not)
        return
    try:
        from softphone.sip.audio import _native  # type: ignore[attr-defined]
    except ImportError as exc:
        why_not = (f"the compiled module is not built ({exc}); the package build makes it "
                   "(pip install ., or scripts/bootstrap.sh)")
        log.info("audio path in Python: %s", why_not)
        return
    try:
        from softphone.sip.audio.native_build import SOURCE, source_digest

        digest = _native.ffi.string(_native.lib.sp_digest()).decode()
        if SOURCE.exists() and digest != source_digest():
            why_not = "the compiled module is older than its C sources; run scripts/bootstrap.sh"
            log.warning("audio path in Python: %s", why_not)
            return
    except Exception:  # a wheel or a frozen app has no sources: the module it ships is the one
        pass
    ffi, lib = _native.ffi, _native.lib


_load()


def available() -> bool:
    return lib is not None


def pj_available() -> bool:
    """PJSIP's C API is bound (once, on first use): the loaded pjsua2 is pjproject 2.15.1 and
    the declared layouts hold. Else ``pj_why_not`` says why, logged once."""
    global _pj_bound, pj_why_not
    if _pj_bound is None:
        if lib is None:
            _pj_bound, pj_why_not = False, why_not
        else:
            import pjsua2

            library = str(pjsua2._pjsua2.__file__)
            _pj_bound = lib.sp_pj_bind(library.encode()) == 0
            if not _pj_bound:
                pj_why_not = ffi.string(lib.sp_pj_error()).decode(errors="replace")
                log.warning("call audio's media port stays in Python: %s", pj_why_not)
    return bool(_pj_bound)


def describe() -> str:
    """Which call-audio path runs and why (``softphone diagnostics``)."""
    if lib is None:
        return f"Python: {why_not}"
    if not pj_available():
        return f"C queues and PortAudio callback; media port in Python: {pj_why_not}"
    return "C (native.c; own media port in PJSIP's bridge, echo canceller available)"


class NativeQueue:
    """frames.FrameQueue in C: the PortAudio callback and the bridge port use it without
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
        # numpy here, not at import: the invite guard loads this module while the app idles
        import numpy as np

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

    def set_voice(self, voice: Any) -> None:
        """The call's voice processing (voice.NativeVoice); set before the stream starts."""
        self._voice = voice
        self.c.voice = voice.c if voice is not None else ffi.NULL

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
