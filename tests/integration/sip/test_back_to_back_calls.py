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
from typing import Any

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


def _ringing_or_refused(caller: EngineProcess, call_id: int, since: int) -> dict[str, Any]:
    """The call's first state of "early" (it rings) or "disconnected" (refused)."""
    return caller.wait_for(
        lambda e: e.get("event") == "CallStateChanged" and e.get("call_id") == call_id
        and e.get("state") in ("early", "disconnected"), 15.0, "ringing or refused", since)


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


def test_callers_ringing_and_cancelling_at_once_never_abort_the_callee(
        make_engine: EngineFactory) -> None:
    """Three phones redial one callee at once and cancel as soon as it rings. pjsua opens an
    incoming call's media before the application hears of it, so the callee cannot pace
    them: the 33rd within half a second used to abort it. Now new INVITEs over its share get
    486 (audio/invite_guard.c) and the callee stays up and answers the next call."""
    callee = make_engine("callee", accounts=[lan_account("callee")], tone_hz=CALLEE_TONE)
    callers = [make_engine(f"caller{i}", accounts=[lan_account(f"caller{i}")],
                           tone_hz=CALLER_TONE) for i in range(3)]
    target = f"sip:callee@{callee.listen}"
    lock = threading.Lock()
    rang: list[int] = []
    refused: list[int] = []
    failures: list[str] = []
    deadline = time.monotonic() + 90.0

    def redial(caller: EngineProcess) -> None:
        while len(rang) < 40 and time.monotonic() < deadline:
            mark = caller.mark()
            try:
                call_id = caller.command("dial", target=target)
                state = _ringing_or_refused(caller, call_id, mark)
                if state["state"] == "early":
                    caller.command("hangup", call_id=call_id)
                    caller.wait_state(call_id, "disconnected", 15.0, mark)
                with lock:
                    (rang if state["state"] == "early" else refused).append(state["code"])
            except (TimeoutError, OSError, ValueError) as exc:
                with lock:
                    failures.append(f"{caller.name}: {exc}")
                return

    threads = [threading.Thread(target=redial, args=(c,)) for c in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _alive(callee)
    assert not failures, f"{failures}\n{callee.explain()}"
    assert len(rang) >= 40
    assert set(refused) <= {486}, refused
    # and the callee still takes a call with audio both ways (a dial while the guard's
    # window is still full gets 486 like the flood's: dial again at once)
    caller = callers[0]
    for _attempt in range(500):
        mark, callee_mark = caller.mark(), callee.mark()
        a_id = caller.command("dial", target=target)
        state = _ringing_or_refused(caller, a_id, mark)
        if state["state"] == "early":
            break
        assert state["code"] == 486, state
    else:
        pytest.fail(f"the callee refused 500 calls in a row\n{callee.explain()}")
    # events of the flood's last calls may still be on their way: this call is caller0's
    incoming = callee.wait_for(
        lambda e: e.get("event") == "IncomingCall" and e.get("number") == "caller0"
        and not callee.find("CallStateChanged", call_id=e["call_id"], state="disconnected"),
        15.0, "caller0's ringing call", callee_mark)
    b_id = incoming["call_id"]
    callee.command("answer", call_id=b_id)
    caller.wait_state(a_id, "confirmed", 15.0, mark)
    caller.wait_event("CallMediaChanged", 15.0, mark, call_id=a_id, active=True)
    callee.wait_event("CallMediaChanged", 15.0, callee_mark, call_id=b_id, active=True)
    heard_by_caller, heard_by_callee = _record_both(caller, a_id, callee, b_id, 0.4)
    _hang_up(caller, callee, (a_id, b_id, mark, callee_mark))
    assert _tone_share(heard_by_caller, CALLEE_TONE) > 0.2
    assert _tone_share(heard_by_callee, CALLER_TONE) > 0.2
