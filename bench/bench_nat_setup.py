"""Dial to two-way audio across the network lab: a direct call (STUN only), an ICE call and a
TURN-relayed call (issue 13), with the app's engine at both ends and with baresip as the peer.

The app dials from behind router A; the peer answers at once. "Two-way audio" is the moment
the first RTP packet of each direction has arrived at its phone's own network interface (an
AF_PACKET capture in each phone's namespace): the later of the two, counted from the dial
command. STUN checks and SIP are not RTP and do not count.

* direct: the app (STUN for media, no ICE) calls a phone with a public address (no NAT);
* ICE: the app and the peer, each behind its own router, both with ICE and STUN;
* TURN: the same with UDP between the two routers dropped: ICE falls back to coturn.

Needs root (network namespaces) and the lab's packages (scripts/bootstrap.sh test). Run
under ``flock /tmp/bench.lock``; medians of ``--calls`` calls per row::

    .venv/bin/python bench/bench_nat_setup.py            # 7 calls per row
    .venv/bin/python bench/bench_nat_setup.py --calls 3  # quick
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.network.lab import (  # noqa: E402
    KAMAILIO,
    LAN_A,
    LAN_B,
    PUBLIC_PHONE,
    TURN,
    Capture,
    Lab,
)
from tests.integration.network.phones import LabBaresip, LabEngine  # noqa: E402
from tests.integration.network.servers import (  # noqa: E402
    SIP_PASSWORD,
    TURN_PASSWORD,
    TURN_USER,
    Coturn,
    LabKamailio,
    wait_until,
)

PAUSE = 1.0  # seconds between calls
STUN = {"stun_server": f"{TURN}:3478"}
ICE = {**STUN, "ice": True}
TURN_ON = {**ICE, "turn_server": f"{TURN}:3478", "turn_username": TURN_USER,
           "turn_password": TURN_PASSWORD}


def account(k: LabKamailio, user: str, **extra: Any) -> dict[str, Any]:
    return {"name": "office", "address": k.aor(user), "registrar": k.uri(), "username": user,
            "password": SIP_PASSWORD, **extra}


def is_rtp(payload: bytes) -> bool:
    """An RTP packet (not RTCP, not STUN), also inside a TURN ChannelData message or a TURN
    Data indication (what a relay delivers)."""
    if payload[:1] and 0x40 <= payload[0] <= 0x7F and len(payload) > 4:  # ChannelData
        payload = payload[4:]
    elif payload[:2] == b"\x00\x17":  # STUN Data indication: the DATA attribute's value
        pos = 20
        while pos + 4 <= len(payload):
            kind = int.from_bytes(payload[pos:pos + 2], "big")
            size = int.from_bytes(payload[pos + 2:pos + 4], "big")
            if kind == 0x0013:
                payload = payload[pos + 4:pos + 4 + size]
                break
            pos += 4 + size + (-size % 4)
    return len(payload) >= 12 and payload[0] >> 6 == 2 and not 200 <= payload[1] <= 204


class FirstRtp:
    """The time (monotonic) the first RTP packet *into* ``ip`` crossed its interface."""

    def __init__(self, lab: Lab, role: str, ifname: str, ip: str) -> None:
        self.capture = Capture(lab.ns(role), ifname)
        self.ip = ip
        self.first: float | None = None
        self._seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> FirstRtp:
        self.capture.__enter__()
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set() and self.first is None:
            datagrams = self.capture.datagrams
            for d in datagrams[self._seen:]:
                if d.dst == self.ip and 5060 not in (d.sport, d.dport) and is_rtp(d.payload):
                    self.first = d.at
                    break
            self._seen = len(datagrams)
            self._stop.wait(0.005)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self.capture.__exit__()


def one_call(lab: Lab, app: LabEngine, target: str, peer_role: str, peer_if: str,
             peer_ip: str, hang_up_peer: Callable[[], None]) -> float:
    """Seconds from the dial command to RTP having arrived at both phones."""
    with FirstRtp(lab, "lana", lab.lan_if("a"), LAN_A) as at_app, \
            FirstRtp(lab, peer_role, peer_if, peer_ip) as at_peer:
        mark = app.mark()
        t0 = time.monotonic()
        call_id = app.command("dial", target=target)
        wait_until(lambda: at_app.first is not None and at_peer.first is not None, 90.0,
                   "RTP both ways")
        assert at_app.first is not None and at_peer.first is not None
        seconds = max(at_app.first, at_peer.first) - t0
        app.command("hangup", call_id=call_id)
        app.wait_state(call_id, "disconnected", 15.0, since=mark)
    hang_up_peer()
    # A second between calls, as a person redials: back-to-back calls a few hundred ms apart
    # run pjsua out of ioqueue slots (the closed calls' sockets are freed only later) or,
    # with ICE, hit a teardown race of the wheel's pjnath (pjproject #5126), and abort.
    threading.Event().wait(PAUSE)
    return seconds


def start_peer(lab: Lab, k: LabKamailio, work: Path, kind: str, label: str, role: str,
               ip: str, nat: dict[str, Any], user: str
               ) -> tuple[Callable[[], None], Callable[[], None]]:
    """The answering phone: (stop it, wait until it has hung up after a call)."""
    if kind == "app":
        peer = LabEngine(lab, role, work / label,
                         accounts=[account(k, user, **({} if role == "pub" else nat))],
                         calls={"auto_answer": True}, name=user, tone_hz=440)
        peer.start(timeout=20.0)
        peer.wait_event("RegistrationChanged", 20.0, account="office", state="registered")

        def stop() -> None:
            peer.close()

        return stop, lambda: None
    medianat = "" if role == "pub" else "ice"
    turn = label == "TURN"
    server = f"turn:{TURN}:3478" if turn else f"stun:{TURN}:3478" if medianat else ""
    bsip = LabBaresip(lab, role, ip, work / label / user, user=user, register_with=k,
                      medianat=medianat, stun_server=server,
                      stun_user=TURN_USER if turn else "",
                      stun_pass=TURN_PASSWORD if turn else "")
    bsip.start()

    def hung_up() -> None:
        wait_until(lambda: bool(bsip.events) and bsip.events[-1].get("type") == "CALL_CLOSED",
                   15.0, "baresip to hang up")

    return bsip.stop, hung_up


def measure(calls: int, keep: Path | None = None) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    work = keep or Path(tempfile.mkdtemp(prefix="net-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with Lab(udp_timeout=30) as lab:
            k = LabKamailio(lab, work / "kamailio", KAMAILIO).start()
            Coturn(lab, work / "coturn").start()
            rows: list[tuple[str, str, dict[str, Any], str]] = [
                ("direct", "pub", STUN, PUBLIC_PHONE),
                ("ICE", "lanb", ICE, LAN_B),
                ("TURN", "lanb", TURN_ON, LAN_B),
            ]
            for label, role, nat, ip in rows:
                if label == "TURN":
                    lab.block_direct_udp_between_routers()
                peer_if = lab.lan_if("b") if role == "lanb" else lab.pub_if()
                app = LabEngine(lab, "lana", work / label,
                                accounts=[account(k, "alice", **nat)], name="alice")
                app.start(timeout=20.0)
                app.wait_event("RegistrationChanged", 20.0, account="office",
                               state="registered")
                try:
                    for kind in ("app", "baresip"):
                        user = f"{kind}{label.lower()}"
                        stop, hung_up = start_peer(lab, k, work, kind, label, role, ip, nat,
                                                   user)
                        try:
                            times = [one_call(lab, app, k.aor(user), role, peer_if, ip,
                                              hung_up) for _ in range(calls)]
                        finally:
                            stop()
                        results[f"{label}, peer: {kind}"] = times
                        print(f"{label:6} peer {kind:7}: "
                              + ", ".join(f"{t * 1000:.0f}" for t in times) + " ms",
                              flush=True)
                finally:
                    app.close()
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=7, help="calls per row (median)")
    parser.add_argument("--keep", type=Path, help="keep every process's log in this folder")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_nat_setup: needs root (network namespaces)", file=sys.stderr)
        return 2
    results = measure(args.calls, args.keep)
    print("\n| call | peer | dial to two-way audio, median (min-max) |")
    print("|---|---|---|")
    for key, times in results.items():
        label, peer = key.split(", peer: ")
        print(f"| {label} | {peer} | {statistics.median(times) * 1000:.0f} ms "
              f"({min(times) * 1000:.0f}-{max(times) * 1000:.0f}, n={len(times)}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
