"""Calls placed back to back, the next dialed the moment the last one ended (an agent
redialing, an auto-dialer, a test suite): every call connects and the phone stays up.

Every call's media takes two of PJSIP's 64 ioqueue keys, and a closed socket's key comes back
only 500 ms later; before the engine paced its call set-ups (softphone/sip/media_sockets.py)
the 33rd call within half a second aborted the whole process in
``pj_ioqueue_register_sock2: Assertion `!pj_list_empty(&ioqueue->free_list)'``.
"""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.integration.sip.engine_proc import EngineFactory, EngineProcess, lan_account

pytestmark = pytest.mark.integration

CALLER_TONE, CALLEE_TONE = 600, 1000


def _pair(make_engine: EngineFactory) -> tuple[EngineProcess, EngineProcess]:
    alice = make_engine("alice", accounts=[lan_account("alice")], tone_hz=CALLER_TONE)
    bob = make_engine("bob", accounts=[lan_account("bob")], tone_hz=CALLEE_TONE,
                      calls={"auto_answer": True})
    return alice, bob


def _connect(alice: EngineProcess, bob: EngineProcess) -> tuple[int, int, int, int]:
    """Alice dials, bob answers by himself: both ends up with audio flowing.
    Returns (alice's call id, bob's call id, alice's mark, bob's mark)."""
    ma, mb = alice.mark(), bob.mark()
    a_id = alice.command("dial", target=f"sip:bob@{bob.listen}")
    b_id = bob.wait_event("IncomingCall", 15.0, mb)["call_id"]
    alice.wait_state(a_id, "confirmed", 15.0, ma)
    bob.wait_state(b_id, "confirmed", 15.0, mb)
    alice.wait_event("CallMediaChanged", 15.0, ma, call_id=a_id, active=True)
    bob.wait_event("CallMediaChanged", 15.0, mb, call_id=b_id, active=True)
    return a_id, b_id, ma, mb


def _hang_up(alice: EngineProcess, bob: EngineProcess, ids: tuple[int, int, int, int]) -> None:
    a_id, b_id, ma, mb = ids
    alice.command("hangup", call_id=a_id)
    alice.wait_state(a_id, "disconnected", 15.0, ma)
    bob.wait_state(b_id, "disconnected", 15.0, mb)


def _alive(p: EngineProcess) -> None:
    assert p.running(), f"the {p.name} engine died:\n{p.explain()}"
    assert "Assertion" not in p.stderr(), p.explain()


def _wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        tick.wait(0.01)


def _record_both(alice: EngineProcess, a_id: int, bob: EngineProcess, b_id: int,
                 seconds: float) -> tuple[Path, Path]:
    """``seconds`` of the call as each end hears and sends it (both directions mixed),
    recorded at the same time at both ends."""
    ends = ((alice, a_id), (bob, b_id))
    paths = [Path(p.command("start_recording", call_id=c)) for p, c in ends]
    size = 44 + int(16000 * 2 * seconds)  # 16 kHz mono 16-bit WAV
    for (p, _c), path in zip(ends, paths, strict=True):
        _wait_until(lambda path=path: path.exists() and path.stat().st_size > size, 15.0,
                    f"{seconds} s of {p.name}'s recording")
    marks = [p.mark() for p, _c in ends]
    for p, c in ends:
        p.command("stop_recording", call_id=c)
    for (p, c), mark in zip(ends, marks, strict=True):
        p.wait_event("RecordingFinished", 10.0, mark, call_id=c)
    return paths[0], paths[1]


def _tone_share(path: Path, hz: float) -> float:
    """Share of the recording's energy within +-10 Hz of ``hz`` (Hann-windowed FFT)."""
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(float)
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data)))) ** 2
    freqs = np.fft.rfftfreq(len(data), 1.0 / rate)
    total = spectrum[freqs > 50].sum()
    band = (freqs > hz - 10) & (freqs < hz + 10)
    return float(spectrum[band].sum() / total) if total else 0.0


def test_redialing_at_once_40_times_never_aborts_the_engine(make_engine: EngineFactory) -> None:
    """Zero gap between hang-up and the next dial: the 33rd call used to abort the caller."""
    alice, bob = _pair(make_engine)
    connected = 0
    for n in range(40):
        try:
            ids = _connect(alice, bob)
        except TimeoutError as exc:
            pytest.fail(f"call {n + 1} of 40 did not connect ({exc}); "
                        f"{connected} did\n{alice.explain()}")
        connected += 1
        _hang_up(alice, bob, ids)
    assert connected == 40
    _alive(alice)
    _alive(bob)
    # and the phone still carries a call's audio both ways afterwards
    a_id, b_id, *_marks = ids = _connect(alice, bob)
    heard_by_alice, heard_by_bob = _record_both(alice, a_id, bob, b_id, 0.4)
    _hang_up(alice, bob, ids)
    assert _tone_share(heard_by_alice, CALLEE_TONE) > 0.2
    assert _tone_share(heard_by_bob, CALLER_TONE) > 0.2


def test_back_to_back_calls_each_carry_audio_both_ways(make_engine: EngineFactory) -> None:
    """30 calls, each dialed the moment the last ended: every one connects and carries both
    tones (each end's recording holds the other's), and both engines are still up."""
    alice, bob = _pair(make_engine)
    shares: list[tuple[int, float, float]] = []
    for n in range(30):
        a_id, b_id, *_marks = ids = _connect(alice, bob)
        heard_by_alice, heard_by_bob = _record_both(alice, a_id, bob, b_id, 0.25)
        _hang_up(alice, bob, ids)
        shares.append((n + 1, _tone_share(heard_by_alice, CALLEE_TONE),
                       _tone_share(heard_by_bob, CALLER_TONE)))
    silent = [s for s in shares if s[1] <= 0.2 or s[2] <= 0.2]
    assert not silent, f"calls without audio both ways (call, alice heard, bob heard): {silent}"
    _alive(alice)
    _alive(bob)
