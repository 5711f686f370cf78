"""The PortAudio callbacks of the backend (PortAudio's threads).

They touch only the :class:`FrameQueue` deques, tone slots, numpy buffers made when the stream
opens and plain attributes of the backend (single stores and reads): no locks, no pjsua2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from softphone.sip.audio.resample import Downsampler, Upsampler

if TYPE_CHECKING:
    from softphone.sip.audio.backend import PortAudioBackend, _Path, _Stream

Callback = Any


def name_thread(name: bytes) -> None:
    """Give the calling OS thread a name (``top -H``, /proc/PID/task/*/comm); Linux only."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, name, 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


def input_callback(self: PortAudioBackend, rec: _Stream, path: _Path) -> Callback:
    """Microphone: peak level, resample to the bridge clock, queue one frame."""
    queue = path.queue
    down = Downsampler(path.factor) if path.factor > 1 else None

    def callback(indata: Any, frames: int, t: Any, status: Any) -> None:
        try:
            if not rec.beats:
                name_thread(b"sp-portaudio")
            rec.beats += 1
            if status:
                self.device_xruns += 1
            ch = indata[:, 0]
            if not self._muted:
                peak = max(int(ch.max()), -int(ch.min()))
                if peak > self._mic_peak:
                    self._mic_peak = peak
            queue.put((down.run(ch) if down is not None else ch).tobytes())
        except Exception:
            self.callback_errors += 1

    return callback


def output_callback(self: PortAudioBackend, rec: _Stream, path: _Path, frames_: int
                    ) -> Callback:
    """Call output: one frame of the call (resampled) plus local tones, clipped."""
    queue = path.queue
    up = Upsampler(path.factor) if path.factor > 1 else None
    mix = np.zeros(frames_, dtype=np.int32)
    ring_buf = np.zeros(frames_, dtype=np.int32)

    def callback(outdata: Any, frames: int, t: Any, status: Any) -> None:
        try:
            if not rec.beats:
                name_thread(b"sp-portaudio")
            rec.beats += 1
            if status:
                self.device_xruns += 1
            data = queue.get()
            if data is None:
                mix.fill(0)
            else:
                samples = np.frombuffer(data, dtype=np.int16)
                mix[:] = up.run(samples) if up is not None else samples
                peak = max(int(mix.max()), -int(mix.min()))
                if peak > self._spk_peak:
                    self._spk_peak = peak
            self._progress.mix_into(mix)
            self._keys.mix_into(mix)
            self._waiting.mix_into(mix)
            clip = self._clip
            if clip is not None:
                clip.mix_into(mix, rec.rate)
            if self._ring_in_output:
                ring_buf.fill(0)
                if self._ring.mix_into(ring_buf):
                    np.add(mix, (ring_buf * self._ring_volume).astype(np.int32), out=mix)
            np.minimum(mix, 32767, out=mix)  # np.clip's Python wrapper costs ~5 us
            np.maximum(mix, -32768, out=mix)
            outdata[:] = mix[:, None]
        except Exception:
            self.callback_errors += 1
            outdata.fill(0)

    return callback


def duplex_callback(self: PortAudioBackend, rec: _Stream, in_path: _Path, out_path: _Path,
                    frames_: int) -> Callback:
    """Both directions in one stream: one callback (one GIL round trip) per period."""
    cin = input_callback(self, rec, in_path)
    cout = output_callback(self, rec, out_path, frames_)

    def callback(indata: Any, outdata: Any, frames: int, t: Any, status: Any) -> None:
        cin(indata, frames, t, status)
        cout(outdata, frames, t, status)

    return callback


def ringer_callback(self: PortAudioBackend, rec: _Stream, frames_: int) -> Callback:
    """Ringer device: the ringtone at the ring volume, or silence."""
    mix = np.zeros(frames_, dtype=np.int32)

    def callback(outdata: Any, frames: int, t: Any, status: Any) -> None:
        try:
            if not rec.beats:
                name_thread(b"sp-portaudio")
            rec.beats += 1
            mix.fill(0)
            if self._ring.mix_into(mix):
                scaled = mix * self._ring_volume
                np.minimum(scaled, 32767, out=scaled)
                np.maximum(scaled, -32768, out=scaled)
                outdata[:] = scaled.astype(np.int16)[:, None]
            else:
                outdata.fill(0)
        except Exception:
            self.callback_errors += 1
            outdata.fill(0)

    return callback
