"""Audio frames: their length, and the queue between two clocks (a leaf module: no pjsua2, no
PortAudio, so the C loader, the Python port and the backend all share it).

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

from collections import deque

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


def frame_samples(rate: int) -> int:
    return rate * FRAME_MS // 1000
