"""FrameQueue: prefill, underruns, overruns, idle consumers and clock drift (simulated clocks).

Every test runs on the Python queue and on its C twin (native.NativeQueue), which the C
PortAudio callback and the C bridge port use: the two must keep one policy."""

from __future__ import annotations

import heapq
import os
import random
from typing import Any

import pytest

from softphone.sip.audio import native
from softphone.sip.audio.frames import FRAME_MS, FrameQueue


def require_native() -> None:
    """The compiled path is part of the build (scripts/bootstrap.sh): missing is a failure,
    unless the run switched it off on purpose."""
    if not native.available():
        if os.environ.get("SOFTPHONE_NO_NATIVE_AUDIO"):
            pytest.skip("SOFTPHONE_NO_NATIVE_AUDIO is set")
        pytest.fail("the compiled audio path is not built (scripts/bootstrap.sh builds it)")


@pytest.fixture(params=["python", "c"])
def Queue(request: pytest.FixtureRequest) -> Any:
    if request.param == "c":
        require_native()
        return native.NativeQueue
    return FrameQueue


def frame(i: int) -> bytes:
    return i.to_bytes(4, "little") * 4


def test_prefill_then_in_order(Queue: Any) -> None:
    q = Queue(16, target=2, max_frames=6)
    q.put(frame(1))
    assert q.get() is None  # waiting for `target` frames
    q.put(frame(2))
    assert q.get() == frame(1)
    q.put(frame(3))
    assert q.get() == frame(2)
    assert (q.underruns, q.overruns) == (0, 0)


def test_underrun_is_counted_and_prefills_with_one_more_frame(Queue: Any) -> None:
    q = Queue(16, target=2, max_frames=6)
    for i in range(2):
        q.put(frame(i))
    assert q.get() == frame(0) and q.get() == frame(1)
    assert q.get() is None
    assert q.underruns == 1 and q.target == 3  # one more frame of cushion
    q.put(frame(2))
    q.put(frame(3))
    assert q.get() is None  # prefilling: not another underrun
    assert q.underruns == 1
    q.put(frame(4))
    assert q.get() == frame(2)


def test_cushion_grows_at_most_two_frames_and_shrinks_when_quiet(Queue: Any) -> None:
    q = Queue(16, target=2, max_frames=6, window=10)
    for _ in range(5):  # five dry spells
        for i in range(q.target):
            q.put(frame(i))
        while q.get() is not None:
            pass
    assert q.underruns == 5 and q.target == 4
    q.put(frame(0))
    for i in range(30_000 // FRAME_MS + 20):  # steady flow for 30 s
        q.put(frame(i))
        q.get()
    assert q.target == 3


def test_overrun_drops_the_oldest(Queue: Any) -> None:
    q = Queue(16, target=2, max_frames=4)
    for i in range(2):
        q.put(frame(i))
    assert q.get() == frame(0)
    for i in range(2, 7):
        q.put(frame(i))
    assert len(q) == 4 and q.overruns == 2
    assert q.get() == frame(3)


def test_idle_consumer_is_not_an_overrun_and_resumes_at_target_latency(Queue: Any) -> None:
    q = Queue(16, target=2, max_frames=4)
    for i in range(50):  # nobody consumes (stream closed)
        q.put(frame(i))
    assert q.overruns == 0 and len(q) == 4
    assert q.get() == frame(48)  # the newest `target` frames are kept
    assert q.get() == frame(49)


def simulate(Queue: Any, producer_ppm: float, seconds: float, jitter_ms: float = 4.0,
             seed: int = 1) -> tuple[Any, list[int]]:
    """Producer and consumer on two clocks ``producer_ppm`` apart, with scheduling jitter."""
    rng = random.Random(seed)
    q = Queue(16, target=2, max_frames=6)
    period_p = FRAME_MS * (1 - producer_ppm * 1e-6)
    events: list[tuple[float, int, str]] = [(0.0, 0, "p"), (7.0, 1, "c")]
    n, depths = 2, []
    end = seconds * 1000.0
    next_p, next_c = period_p, 7.0 + FRAME_MS
    while events:
        t, _, who = heapq.heappop(events)
        if t > end:
            break
        if who == "p":
            q.put(frame(n))
            next_p += period_p
            heapq.heappush(events, (next_p + rng.uniform(0, jitter_ms), n, "p"))
        else:
            q.get()
            depths.append(len(q))
            next_c += FRAME_MS
            heapq.heappush(events, (next_c + rng.uniform(0, jitter_ms), n, "c"))
        n += 1
    return q, depths


@pytest.mark.parametrize("ppm", [0.0, 300.0, -300.0, 2000.0, -2000.0])
def test_latency_stays_bounded_when_clocks_drift(Queue: Any, ppm: float) -> None:
    minutes = 10
    q, depths = simulate(Queue, ppm, minutes * 60.0)
    # depth never runs away: the last minute looks like the first (within one frame)
    first = sum(depths[50:3000]) / len(depths[50:3000])
    last = sum(depths[-3000:]) / 3000
    assert abs(last - first) <= 1.0, (first, last)
    assert max(depths) <= q.max_frames
    drift_frames = abs(ppm) * 1e-6 * minutes * 60 * 1000 / FRAME_MS
    if ppm > 0:  # producer faster: frames are shed, never an underrun
        assert q.underruns == 0
        assert q.overruns <= drift_frames + 2
    elif ppm < 0:  # consumer faster: each frame of drift costs at most one underrun
        assert q.underruns <= drift_frames + 2
    else:
        assert q.underruns == 0 and q.overruns == 0
