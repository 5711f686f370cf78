"""The PortAudio callbacks of the backend (PortAudio's threads).

They touch only the frame queues, tone slots, buffers made when the stream opens and plain
attributes of the backend (single stores and reads): no locks, no pjsua2.

Call streams (microphone, call output, or both in one duplex stream) normally run entirely in
C (``native.c``, see native.py): copy, FIR resampling, the queues and the meters' peaks, with no
Python and no GIL per period; while a local sound plays (progress tone, key feedback, call
waiting, a recording, the ringtone in the call output) the C callback calls :func:`mix_extras`
to add it. Without the compiled module a call stream runs one Python *body* per direction on
numpy arrays made when the stream opens, through our own cffi callback
(:func:`open_call_stream`): sounddevice's wrapper builds two numpy arrays, a ``CallbackFlags``
object and argument tuples per period, which on this machine cost as much as the whole body;
ours copies the period in and out of preallocated arrays (two ``memmove``). The level meters
cost nothing per period in Python: the bodies keep references to the last frames
(``_mic_recent``/``_spk_recent``), the C callback keeps running peaks, and the SIP thread reads
them when it polls (:meth:`PortAudioBackend.levels`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from softphone.sip.audio import native
from softphone.sip.audio.local_sounds import LocalSounds
from softphone.sip.audio.resample import Downsampler, Upsampler
from softphone.sip.audio.streams import AudioPath, StreamRecord

Callback = Any


class CallbackHost(Protocol):
    """What the callbacks read and count on the backend (``backend.PortAudioBackend``):
    plain attributes, each a single store or read from PortAudio's thread."""

    _sd: Any  # sounddevice (or a stand-in in tests)
    _native_audio: bool
    sounds: LocalSounds  # tones, the ringtone, a recording: read with plain loads
    _mic_recent: deque[bytes]
    _spk_recent: deque[bytes]
    _xruns: int
    _cb_errors: int

    def _attach_voice(self, state: Any, stream: Any, in_path: AudioPath | None,
                      out_path: AudioPath | None) -> None: ...

InBody = Callable[[Any], None]  # one period of microphone samples, int16 (frames,)
OutBody = Callable[[Any], None]  # fills one period of output, int16 (frames, channels)


def name_thread(name: bytes) -> None:
    """Give the calling OS thread a name (``top -H``, /proc/PID/task/*/comm); Linux only."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, name, 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


def input_body(self: CallbackHost, path: AudioPath) -> InBody:
    """Microphone: resample to the bridge clock, queue one frame (kept for the meter too)."""
    queue = path.queue
    down = Downsampler(path.factor) if path.factor > 1 else None
    put = queue.put
    recent = self._mic_recent.append

    def body(ch: Any) -> None:
        data = (down.run(ch) if down is not None else ch).tobytes()
        put(data)
        recent(data)

    return body


def output_body(self: CallbackHost, rec: StreamRecord, path: AudioPath, frames_: int) -> OutBody:
    """Call output: one frame of the call (resampled) plus local tones, clipped."""
    queue = path.queue
    get = queue.get
    up = Upsampler(path.factor) if path.factor > 1 else None
    mix = np.zeros(frames_, dtype=np.int32)
    silence = np.zeros(frames_, dtype=np.int16)
    quiet = queue.silence
    recent = self._spk_recent.append
    sounds = self.sounds
    progress, keys, waiting = sounds.progress, sounds.keys, sounds.waiting
    extras = mix_extras(self, rec, frames_)

    def body(out: Any) -> None:
        data = get()
        if data is None:
            y = silence
            recent(quiet)
        else:
            recent(data)
            samples = np.frombuffer(data, dtype=np.int16)
            y = up.run(samples) if up is not None else samples
        if progress.current is None and keys.current is None and waiting.current is None \
                and sounds.clip is None and not sounds.ring_in_output:
            out[:] = y[:, None]  # the call alone: already int16 and clipped
            return
        mix[:] = y
        extras(mix)
        np.minimum(mix, 32767, out=mix)  # np.clip's Python wrapper costs ~5 us
        np.maximum(mix, -32768, out=mix)
        out[:] = mix[:, None]

    return body


def mix_extras(self: CallbackHost, rec: StreamRecord, frames_: int) -> Callable[[Any], None]:
    """Adds the local sounds (progress tones, key feedback, call waiting, a recording, the
    ringtone when it rings in the call output) into an int32 period of the call output."""
    ring_buf = np.zeros(frames_, dtype=np.int32)
    sounds = self.sounds
    progress, keys, waiting, ring = sounds.progress, sounds.keys, sounds.waiting, sounds.ring

    def extras(mix: Any) -> None:
        progress.mix_into(mix)
        keys.mix_into(mix)
        waiting.mix_into(mix)
        clip = sounds.clip
        if clip is not None:
            clip.mix_into(mix, rec.rate)
        if sounds.ring_in_output:
            ring_buf.fill(0)
            if ring.mix_into(ring_buf):
                np.add(mix, (ring_buf * sounds.ring_volume).astype(np.int32), out=mix)

    return extras


def array_callback(self: CallbackHost, rec: StreamRecord, inp: InBody | None,
                   outp: OutBody | None) -> Callback:
    """The bodies as a ``sounddevice`` numpy-array callback (a stand-in PortAudio)."""

    def begin(status: Any) -> None:
        if not rec.beats:
            name_thread(b"sp-portaudio")
        rec.beats += 1
        if status:
            self._xruns += 1

    if inp is not None and outp is not None:
        def duplex(indata: Any, outdata: Any, frames: int, t: Any, status: Any) -> None:
            try:
                begin(status)
                inp(indata[:, 0])
                outp(outdata)
            except Exception:
                self._cb_errors += 1
                outdata.fill(0)
        return duplex
    if inp is not None:
        def capture(indata: Any, frames: int, t: Any, status: Any) -> None:
            try:
                begin(status)
                inp(indata[:, 0])
            except Exception:
                self._cb_errors += 1
        return capture
    assert outp is not None

    def play(outdata: Any, frames: int, t: Any, status: Any) -> None:
        try:
            begin(status)
            outp(outdata)
        except Exception:
            self._cb_errors += 1
            outdata.fill(0)
    return play


def open_call_stream(self: CallbackHost, rec: StreamRecord, kind: str, inp: InBody | None,
                     outp: OutBody | None, frames: int, channels: Any,
                     paths: tuple[AudioPath | None, AudioPath | None] = (None, None),
                     **kw: Any) -> Any:
    """Open a call stream (``kind`` input/output/duplex) that runs the bodies each period.

    With the real ``sounddevice`` and the compiled module (native.py) the whole period runs
    in C (``paths``: the input and output paths whose queues it uses); without the module the
    stream gets our own cffi callback (raw pointers, periods copied through preallocated
    arrays); anything else (a stand-in in tests) gets the public numpy-array streams.
    """
    sd = self._sd
    base = getattr(sd, "_StreamBase", None)
    ffi = getattr(sd, "_ffi", None)
    if base is None or ffi is None:
        cls = {"input": "InputStream", "output": "OutputStream", "duplex": "Stream"}[kind]
        return getattr(sd, cls)(channels=channels, callback=array_callback(self, rec, inp, outp),
                                **kw)
    ch_in, ch_out = channels if kind == "duplex" else \
        ((channels, 0) if kind == "input" else (0, channels))
    in_path, out_path = paths
    if self._native_audio and native.available() and (in_path or out_path) \
            and all(p is None or isinstance(p.queue, native.NativeQueue)
                    for p in (in_path, out_path)):
        extras = mix_extras(self, rec, frames)
        sounds = self.sounds

        def hook(st: native.NativeStream) -> None:  # PortAudio thread, a sound is playing
            seq = sounds.extras_seq
            extras(st.mix)
            sounds.extras_done(st, seq)

        state = native.NativeStream(
            frames, ch_in, ch_out, in_path.queue if in_path else None,
            out_path.queue if out_path else None, in_path.factor if in_path else 1,
            out_path.factor if out_path else 1, hook)
        cfun, user = state.callback_for(ffi)
        stream = base(kind, channels=channels, callback=cfun, userdata=user, wrap_callback=None,
                      **kw)
        stream._softphone_native = state  # lives as long as the stream
        rec.native = state
        sounds.set_extras(state)
        self._attach_voice(state, stream, in_path, out_path)  # before the stream starts
        return stream
    in_arr = np.zeros((frames, max(1, ch_in)), dtype=np.int16)
    out_arr = np.zeros((frames, max(1, ch_out)), dtype=np.int16)
    zeros = np.zeros_like(out_arr)
    in_c, out_c, zeros_c = ffi.from_buffer(in_arr), ffi.from_buffer(out_arr), \
        ffi.from_buffer(zeros)
    in_bytes, out_bytes = frames * ch_in * 2, frames * ch_out * 2
    in_ch = in_arr[:, 0]
    memmove = ffi.memmove
    err = self  # the backend counts errors and xruns

    def callback(iptr: Any, optr: Any, n: int, t: Any, status: int, user: Any) -> int:
        try:
            if not rec.beats:
                name_thread(b"sp-portaudio")
            rec.beats += 1
            if status:
                err._xruns += 1
            if n != frames:  # fixed block size: never expected
                err._cb_errors += 1
                if out_bytes:
                    memmove(optr, zeros_c, min(n, frames) * ch_out * 2)
                return 0
            if inp is not None:
                memmove(in_c, iptr, in_bytes)
                inp(in_ch)
            if outp is not None:
                outp(out_arr)
                memmove(optr, out_c, out_bytes)
        except Exception:
            err._cb_errors += 1
            if out_bytes:
                memmove(optr, zeros_c, out_bytes)
        return 0  # paContinue

    cptr = ffi.callback("PaStreamCallback", callback, error=0)
    stream = base(kind, channels=channels, callback=cptr, wrap_callback=None, **kw)
    stream._softphone_callback = cptr  # the cffi callback lives as long as the stream
    return stream


def ringer_callback(self: CallbackHost, rec: StreamRecord, frames_: int) -> Callback:
    """Ringer device: the ringtone at the ring volume, or silence."""
    mix = np.zeros(frames_, dtype=np.int32)
    sounds = self.sounds
    ring = sounds.ring

    def callback(outdata: Any, frames: int, t: Any, status: Any) -> None:
        try:
            if not rec.beats:
                name_thread(b"sp-portaudio")
            rec.beats += 1
            mix.fill(0)
            if ring.mix_into(mix):
                scaled = mix * sounds.ring_volume
                np.minimum(scaled, 32767, out=scaled)
                np.maximum(scaled, -32768, out=scaled)
                outdata[:] = scaled.astype(np.int16)[:, None]
            else:
                outdata.fill(0)
        except Exception:
            self._cb_errors += 1
            outdata.fill(0)

    return callback
