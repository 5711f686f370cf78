"""Integer-ratio polyphase resampling between a device's rate and PJSIP's bridge clock.

PJSIP's conference bridge resamples a port whose clock differs from its own with libresample's
large filter, which on this machine costs ~0.45 CPU s per call-minute for a 48 kHz device. When
the device's rate is an integer multiple of the bridge's (48 kHz vs 16 kHz), the bridge ports run
at the bridge's clock and the PortAudio callbacks convert with a windowed-sinc FIR (16 taps per
phase, passband to 0.9 of the low Nyquist) done as one small matrix product per block. Views
and buffers are made once per block size: nothing but numpy kernels runs per block. The filters
keep their history between blocks; blocks must be multiples of the factor.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

Int16 = npt.NDArray[np.int16]
Float32 = npt.NDArray[np.float32]


def lowpass(factor: int, taps_per_phase: int = 16) -> npt.NDArray[np.float64]:
    n = factor * taps_per_phase
    cutoff = 0.45 / factor  # cycles per input sample: 0.9 of the low rate's Nyquist
    t = np.arange(n) - (n - 1) / 2.0
    h = 2 * cutoff * np.sinc(2 * cutoff * t) * np.blackman(n)
    return np.asarray(h / h.sum())


def upsample_taps(factor: int) -> np.ndarray:
    """The interpolation filter as (window position, output phase) taps for ``factor``:
    ``coef[i, p] = h[p + (k-1-i)*factor]``, where row i of a window is x[n-k+1+i]."""
    h = lowpass(factor) * factor
    k = len(h) // factor
    coef = np.empty((k, factor), dtype=np.float32)
    for i in range(k):
        for p in range(factor):
            coef[i, p] = h[p + (k - 1 - i) * factor]
    return coef


class _Fir:
    """A block FIR as ``windows(history + block) @ coefficients``."""

    def __init__(self, coef: Float32, span: int, step: int, factor_out: int) -> None:
        self._coef = coef  # (span,) or (span, factor_out)
        self._span = span  # input samples per output row
        self._step = step  # input samples between rows
        self._out = factor_out
        self._n = -1
        self._buf: Float32 = np.zeros(span - 1, dtype=np.float32)

    def _setup(self, n: int) -> None:
        hist = self._buf[-(self._span - 1):].copy() if self._span > 1 else self._buf[:0]
        self._n = n
        self._buf = np.zeros(n + self._span - 1, dtype=np.float32)
        self._buf[: self._span - 1] = hist
        s = self._buf.strides[0]
        rows = n // self._step
        self._view = as_strided(self._buf, shape=(rows, self._span),
                                strides=(s * self._step, s), writeable=False)
        self._rows = np.zeros((rows, self._span), dtype=np.float32)
        shape = (rows,) if self._out == 1 else (rows, self._out)
        self._y = np.zeros(shape, dtype=np.float32)

    def run(self, x: Int16) -> Int16:
        n = len(x)
        if n != self._n:
            self._setup(n)
        buf, keep = self._buf, self._span - 1
        buf[keep:] = x
        np.copyto(self._rows, self._view)  # contiguous rows: BLAS is 4x faster on them
        np.dot(self._rows, self._coef, out=self._y)
        buf[:keep] = buf[n:]
        np.minimum(self._y, 32767, out=self._y)  # np.clip's Python wrapper costs ~5 us
        np.maximum(self._y, -32768, out=self._y)
        return self._y.reshape(-1).astype(np.int16)


class Downsampler(_Fir):
    """Device rate -> bridge rate (divide by ``factor``), int16 in, int16 out."""

    def __init__(self, factor: int) -> None:
        h = lowpass(factor)
        super().__init__(np.ascontiguousarray(h[::-1], dtype=np.float32), len(h), factor, 1)
        self.factor = factor


class Upsampler(_Fir):
    """Bridge rate -> device rate (multiply by ``factor``), int16 in, int16 out."""

    def __init__(self, factor: int) -> None:
        coef = upsample_taps(factor)
        super().__init__(coef, len(coef), 1, factor)
        self.factor = factor
