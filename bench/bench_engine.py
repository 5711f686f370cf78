"""Benchmark: the softphone Engine versus a minimal raw pjsua2 script, same calls, same peer.

Starts baresip (auto-answer, 440 Hz tone, no sound device) on free ports, then runs, each in
its own process, ``bench/raw_pjsua2_call.py`` and the Engine (this file with ``--child``),
each making N sequential calls of S seconds to it (split into alternating rounds so that
background load hits both alike). Prints a table:

* dial-to-confirmed: median (and p90) ms from ``dial()`` to the CONFIRMED state;
* CPU seconds per call-minute: the process's user+system CPU while calls were up, divided by
  the minutes they were up;

with the ratio engine/raw (target: <= 1.2). It prints figures and never asserts timing.

    .venv/bin/python bench/bench_engine.py                 # 20 calls of 3 s (~2.5 minutes)
    .venv/bin/python bench/bench_engine.py --calls 50 --seconds 10
"""

from __future__ import annotations

import argparse
import gc
import json
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Both contenders wait this long after a call ended before they dial again: baresip is still
# tearing the last call down, and a dial at once waited ~2.4 ms for its 180 Ringing (what the
# peer was doing, not what the caller does). raw_pjsua2_call.py uses the same figure.
SETTLE_S = 0.1


def _engine_child(target: str, calls: int, seconds: float, rtp_port: int) -> dict[str, Any]:
    """The same loop as raw_pjsua2_call.py, through softphone.sip.engine.Engine."""
    from softphone.settings import AccountSettings, CallSettings, SipSettings
    from softphone.sip.engine import Engine
    from softphone.sip.events import CallState, CallStateChanged, SipEvent

    events: queue.Queue[tuple[float, SipEvent]] = queue.Queue()

    def listener(ev: SipEvent) -> None:
        events.put((time.monotonic(), ev))

    def wait_state(call_id: int, states: set[CallState], timeout: float) -> tuple[float, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return time.monotonic(), None
            try:
                at, ev = events.get(timeout=left)
            except queue.Empty:
                continue
            if isinstance(ev, CallStateChanged) and ev.call_id == call_id and ev.state in states:
                return at, ev

    engine = Engine(
        SipSettings(listen_host="127.0.0.1", listen_port=0, rtp_port=rtp_port,
                    user_agent="softphone-bench"),
        [AccountSettings(name="LAN", address="sip:bench@127.0.0.1")],
        CallSettings(),
        listener,
    )
    engine.start(timeout=10.0)
    setup_ms: list[float] = []
    cpu_s = talk_s = 0.0
    failed = 0
    try:
        for _ in range(calls):
            t0 = time.monotonic()
            call_id = engine.dial(target)
            at, ev = wait_state(call_id, {CallState.CONFIRMED, CallState.DISCONNECTED}, 10.0)
            if ev is None or ev.state != CallState.CONFIRMED:
                failed += 1
            else:
                setup_ms.append((at - t0) * 1000.0)
                c0, w0 = time.process_time(), time.monotonic()
                threading.Event().wait(seconds)  # talk time: this thread idles
                cpu_s += time.process_time() - c0
                talk_s += time.monotonic() - w0
                engine.hangup(call_id)
            wait_state(call_id, {CallState.DISCONNECTED}, 5.0)
            gc.collect()  # as raw_pjsua2_call.py does between calls (it must, to drop its Call)
            threading.Event().wait(SETTLE_S)  # the peer settles, as in raw_pjsua2_call.py
    finally:
        engine.stop(timeout=10.0)
    return {"setup_ms": setup_ms, "cpu_s": cpu_s, "talk_s": talk_s, "calls": calls,
            "failed": failed}


def _run(argv: list[str], timeout: float) -> dict[str, Any]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    raise RuntimeError(f"{argv[1]} printed no result (exit {proc.returncode}):\n"
                       f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def _merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    total["setup_ms"] += part["setup_ms"]
    for key in ("cpu_s", "talk_s", "calls", "failed"):
        total[key] += part[key]


def _summary(res: dict[str, Any]) -> dict[str, float]:
    setup = sorted(res["setup_ms"]) or [float("nan")]
    p90 = setup[min(len(setup) - 1, round(0.9 * (len(setup) - 1)))]
    minutes = res["talk_s"] / 60.0
    return {
        "median_ms": statistics.median(setup),
        "p90_ms": p90,
        "cpu_per_min": res["cpu_s"] / minutes if minutes else float("nan"),
        "ok": float(len(res["setup_ms"])),
        "failed": float(res["failed"]),
    }


def _table(raw: dict[str, float], eng: dict[str, float]) -> str:
    rows = [
        ("dial-to-confirmed median (ms)", "median_ms", "{:.2f}"),
        ("dial-to-confirmed p90 (ms)", "p90_ms", "{:.2f}"),
        ("CPU s per call-minute", "cpu_per_min", "{:.3f}"),
        ("calls confirmed", "ok", "{:.0f}"),
        ("calls failed", "failed", "{:.0f}"),
    ]
    out = [f"{'metric':32} {'raw pjsua2':>12} {'engine':>12} {'engine/raw':>11}", "-" * 70]
    for label, key, fmt in rows:
        r, e = raw[key], eng[key]
        ratio = f"{e / r:.2f}x" if key not in ("ok", "failed") and r else ""
        out.append(f"{label:32} {fmt.format(r):>12} {fmt.format(e):>12} {ratio:>11}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Engine vs raw pjsua2: call set-up time and CPU")
    ap.add_argument("--calls", type=int, default=20, help="calls per contender (default 20)")
    ap.add_argument("--seconds", type=float, default=3.0, help="talk time per call (default 3)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="alternate raw/engine runs this many times (evens out background load)")
    ap.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    ap.add_argument("--child", choices=["engine"], help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    ap.add_argument("--rtp-port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child == "engine":
        print(json.dumps(_engine_child(args.target, args.calls, args.seconds, args.rtp_port)))
        return 0

    from tests.harness.ports import free_port
    from tests.harness.sip_peers import Baresip

    rounds = max(1, min(args.rounds, args.calls))
    per_round = [args.calls // rounds + (1 if i < args.calls % rounds else 0)
                 for i in range(rounds)]
    timeout = 60.0 + args.calls * (args.seconds + 5.0)
    raw: dict[str, Any] = {"setup_ms": [], "cpu_s": 0.0, "talk_s": 0.0, "calls": 0, "failed": 0}
    eng: dict[str, Any] = {"setup_ms": [], "cpu_s": 0.0, "talk_s": 0.0, "calls": 0, "failed": 0}
    with Baresip(user="bench") as peer:
        print(f"peer: baresip auto-answer at {peer.uri}; {args.calls} calls of "
              f"{args.seconds:g} s each per contender, in {rounds} alternating rounds",
              flush=True)
        for n in per_round:
            common = ["--calls", str(n), "--seconds", str(args.seconds),
                      "--rtp-port", str(free_port(count=4))]
            _merge(raw, _run([sys.executable, "bench/raw_pjsua2_call.py", peer.uri, *common],
                             timeout))
            _merge(eng, _run([sys.executable, "bench/bench_engine.py", "--child", "engine",
                              "--target", peer.uri, *common], timeout))
    print(_table(_summary(raw), _summary(eng)))
    if args.json:
        print(json.dumps({"raw": raw, "engine": eng}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
