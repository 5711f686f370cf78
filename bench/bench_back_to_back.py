"""Calls placed back to back: how many connect before the caller's engine dies, and at what rate.

The caller (the app's engine) dials a second engine that answers at once, hangs up the moment
both ends have audio streams, and dials again after a gap (0, or random in 0..--max-gap).
Printed per row: calls connected out of --calls, whether the caller aborted (PJSIP's
``ioqueue_select.c`` assertion, see softphone/sip/media_sockets.py), calls per second, the
median dial -> confirmed time and how many dials the engine held back to let PJSIP free the
sockets of ended calls.

* ``udp``: both engines on loopback, plain RTP;
* ``ice-turn``: the network lab (root): the caller behind NAT router A, the callee with a public
  address, both with ICE and coturn's TURN;
* ``incoming``: three engines on loopback redial one callee at once and cancel each call as
  soon as it rings: the callee cannot hold incoming calls back (pjsua opens their media before
  the application sees them), so this row shows where the pacing's protection ends.

    .venv/bin/python bench/bench_back_to_back.py                  # udp, 100 calls per row
    sudo .venv/bin/python bench/bench_back_to_back.py --mode ice-turn --calls 60
    .venv/bin/python bench/bench_back_to_back.py --mode incoming --calls 60
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.sip.engine_driver import EngineProcess  # noqa: E402


def _loopback_pair(work: Path) -> tuple[EngineProcess, EngineProcess, str]:
    def phone(user: str, auto: bool) -> EngineProcess:
        cfg: dict[str, Any] = {
            "sip": {"listen_host": "127.0.0.1", "listen_port": 0, "rtp_port": 0},
            "accounts": [{"name": "LAN", "address": f"sip:{user}@127.0.0.1"}],
            "calls": {"auto_answer": auto}, "recordings_dir": str(work / user),
            "log_level": "INFO"}
        return EngineProcess(cfg, stderr_path=work / f"{user}.log").start()

    alice, bob = phone("alice", False), phone("bob", True)
    return alice, bob, f"sip:bob@{bob.listen}"


@contextlib.contextmanager
def _lab_pair(work: Path) -> Iterator[tuple[EngineProcess, EngineProcess, str]]:
    from tests.integration.network.lab import LAN_A, PUBLIC_PHONE, TURN, Lab
    from tests.integration.network.phones import LabEngine
    from tests.integration.network.servers import TURN_PASSWORD, TURN_USER, Coturn

    nat = {"ice": True, "stun_server": f"{TURN}:3478", "turn_server": f"{TURN}:3478",
           "turn_username": TURN_USER, "turn_password": TURN_PASSWORD}
    with Lab(udp_timeout=20) as lab:
        turn = Coturn(lab, work / "coturn").start()
        try:
            calls = {"only_from_my_servers": False}
            alice = LabEngine(lab, "lana", work, name="alice", tone_hz=None, calls=calls,
                              accounts=[{"name": "LAN", "address": f"sip:alice@{LAN_A}", **nat}])
            bob = LabEngine(lab, "pub", work, name="bob", tone_hz=None,
                            calls={**calls, "auto_answer": True},
                            accounts=[{"name": "LAN", "address": f"sip:bob@{PUBLIC_PHONE}",
                                       **nat}])
            alice.start(timeout=20.0)
            bob.start(timeout=20.0)
            try:
                yield alice, bob, f"sip:bob@{PUBLIC_PHONE}:5060"
            finally:
                for p in (alice, bob):
                    with contextlib.suppress(Exception):
                        p.close()
        finally:
            turn.stop()


def _row(alice: EngineProcess, bob: EngineProcess, target: str, calls: int,
         max_gap: float) -> dict[str, Any]:
    setups: list[float] = []
    started = time.perf_counter()
    pause = threading.Event()
    for _ in range(calls):
        if max_gap:
            pause.wait(random.uniform(0.0, max_gap))
        try:
            ma, mb = alice.mark(), bob.mark()
            t0 = time.perf_counter()
            call_id = alice.command("dial", target=target)
            alice.wait_event("CallStateChanged", 20.0, ma, call_id=call_id, state="confirmed")
            setups.append(time.perf_counter() - t0)
            alice.wait_event("CallMediaChanged", 20.0, ma, call_id=call_id, active=True)
            bob.wait_event("CallMediaChanged", 20.0, mb, active=True)
            alice.command("hangup", call_id=call_id)
            alice.wait_event("CallStateChanged", 20.0, ma, call_id=call_id,
                             state="disconnected")
        except (TimeoutError, OSError, ValueError):
            break
    elapsed = time.perf_counter() - started
    alive = alice.proc is not None and alice.proc.poll() is None
    return {"connected": len(setups), "alive": alive, "rate": len(setups) / elapsed,
            "setup_ms": statistics.median(setups) * 1000.0 if setups else float("nan")}


def _incoming_row(work: Path, calls: int, max_gap: float) -> dict[str, Any]:
    """Three callers, each in its own thread, dial the callee, cancel at 180, dial again."""
    def phone(user: str, auto: bool = False) -> EngineProcess:
        cfg: dict[str, Any] = {
            "sip": {"listen_host": "127.0.0.1", "listen_port": 0, "rtp_port": 0},
            "accounts": [{"name": "LAN", "address": f"sip:{user}@127.0.0.1"}],
            "calls": {"auto_answer": auto}, "recordings_dir": str(work / user),
            "log_level": "INFO"}
        return EngineProcess(cfg, stderr_path=work / f"{user}.log").start()

    callee = phone("alice")
    callers = [phone(f"caller{i}") for i in range(3)]
    rang: list[int] = []
    busy: list[int] = []
    started = time.perf_counter()

    def run(caller: EngineProcess) -> None:
        pause = threading.Event()
        for _ in range(calls):
            if max_gap:
                pause.wait(random.uniform(0.0, max_gap))
            try:
                mark = caller.mark()
                call_id = caller.command("dial", target=f"sip:alice@{callee.listen}")
                state = caller.wait_for(
                    lambda e, c=call_id: e.get("event") == "CallStateChanged"
                    and e.get("call_id") == c and e.get("state") in ("early", "disconnected"),
                    10.0, "ringing", mark)
                if state["state"] == "disconnected":
                    busy.append(1)  # refused (486) by the callee's INVITE guard
                    continue
                rang.append(1)
                caller.command("hangup", call_id=call_id)
                caller.wait_event("CallStateChanged", 10.0, mark, call_id=call_id,
                                  state="disconnected")
            except (TimeoutError, OSError, ValueError):
                return

    threads = [threading.Thread(target=run, args=(c,)) for c in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    alive = callee.proc is not None and callee.proc.poll() is None
    for p in (callee, *callers):
        p.close()
    return {"connected": len(rang), "alive": alive, "rate": len(rang) / elapsed,
            "setup_ms": float("nan"), "busy": len(busy)}


def _paced(log: Path) -> int:
    try:
        return log.read_text(errors="replace").count("waits")
    except FileNotFoundError:
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("udp", "ice-turn", "incoming"), default="udp")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--max-gap", type=float, default=0.3,
                        help="the second row's gaps are random in 0..this many seconds")
    args = parser.parse_args()
    print(f"{args.mode}: {args.calls} calls per row (per caller); hung up once both ends "
          "have audio streams (incoming: once it rings)")
    print("| gap | connected (incoming: rang) | engine aborted | calls/s "
          "| dial->confirmed median | held back |")
    print("|---|---|---|---|---|---|")
    for max_gap in (0.0, args.max_gap):
        total = args.calls
        with tempfile.TemporaryDirectory(prefix="b2b-bench-") as tmp:
            work = Path(tmp)
            if args.mode == "incoming":
                row = _incoming_row(work, args.calls, max_gap)
                log = work / "alice.log"
                total = 3 * args.calls
            elif args.mode == "udp":
                alice, bob, target = _loopback_pair(work)
                try:
                    row = _row(alice, bob, target, args.calls, max_gap)
                finally:
                    alice.close()
                    bob.close()
                log = work / "alice.log"
            else:
                with _lab_pair(work) as (alice, bob, target):
                    row = _row(alice, bob, target, args.calls, max_gap)
                log = work / "alice" / "stderr.log"
            gap = "0" if not max_gap else f"0..{max_gap * 1000:.0f} ms"
            print(f"| {gap} | {row['connected']}/{total} | "
                  f"{'no' if row['alive'] else 'YES'} | {row['rate']:.1f} | "
                  f"{row['setup_ms']:.1f} ms | {_paced(log)} |"
                  + (f" {row['busy']} got 486 |" if "busy" in row else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
