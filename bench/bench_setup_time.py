"""Set-up time added by the app: INVITE to 200 OK for an auto-answered call, on loopback.

    .venv/bin/python bench/bench_setup_time.py              # 20 calls per callee
    .venv/bin/python bench/bench_setup_time.py --quick      # 10 calls, 10,000-contact profile

A raw SIP UAC written here (one UDP socket, no SIP stack) sends each INVITE with an SDP offer
itself and timestamps the ``200 OK`` when it arrives (``time.perf_counter`` around
``sendto``/``recvfrom``), then ACKs, waits a little and sends BYE. The same UAC calls, one
after another and interleaved over the rounds, each callee in its own process:

* ``softphone app``: the full GUI app (``python -m softphone``, ``auto_answer = true``) on a
  private Xvfb with a profile of N contacts (default 1,000,000, the cached start-up profile);
* ``engine``: ``softphone.sip.engine.Engine`` alone with ``CallSettings(auto_answer=True)``;
* ``raw pjsua2``: a minimal pjsua2 script, one thread looping on ``libHandleEvents(10)``,
  answering 200 inside ``onIncomingCall`` (the floor);
* ``baresip``: auto-answer (the peer, for reference).

Target: the app's median <= 2 ms. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_startup import PYTHON, ProfileCopies, Xvfb, cached_profile, fresh_env  # noqa: E402

TARGET_MS = 2.0

RAW_CALLEE = r"""
import sys, time
import pjsua2 as pj
port, rtp = int(sys.argv[1]), int(sys.argv[2])

class Call(pj.Call):
    pass

calls = []

class Acc(pj.Account):
    def onIncomingCall(self, prm):
        c = Call(self, prm.callId)
        op = pj.CallOpParam()
        op.statusCode = 200
        c.answer(op)
        calls.append(c)

ep = pj.Endpoint()
ep.libCreate()
cfg = pj.EpConfig()
cfg.uaConfig.threadCnt = 0
cfg.uaConfig.mainThreadOnly = True
cfg.logConfig.level = 0
cfg.logConfig.consoleLevel = 0
ep.libInit(cfg)
tc = pj.TransportConfig()
tc.port = port
tc.boundAddress = "127.0.0.1"
ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tc)
ep.audDevManager().setNullDev()
ep.libStart()
ac = pj.AccountConfig()
ac.idUri = f"sip:bench@127.0.0.1:{port}"
ac.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
ac.mediaConfig.transportConfig.port = rtp
acc = Acc()
acc.create(ac)
print("ready", flush=True)
while True:
    ep.libHandleEvents(10)
    if len(calls) > 4:
        done = [c for c in calls if not c.isActive()]
        for c in done:
            calls.remove(c)
"""


def engine_child(port: int, rtp: int) -> None:
    """The bare engine, auto-answering, until killed."""
    import threading

    from softphone.settings import AccountSettings, CallSettings, SipSettings
    from softphone.sip.engine import Engine

    engine = Engine(
        SipSettings(listen_host="127.0.0.1", listen_port=port, rtp_port=rtp,
                    user_agent="softphone-bench"),
        [AccountSettings(name="LAN", address=f"sip:bench@127.0.0.1:{port}")],
        CallSettings(auto_answer=True),
        lambda _ev: None,
    )
    engine.start(timeout=10.0)
    print("ready", flush=True)
    threading.Event().wait()


# --- the raw UAC ---------------------------------------------------------------------------

def _headers(msg: str) -> tuple[str, dict[str, str]]:
    head = msg.split("\r\n\r\n", 1)[0].split("\r\n")
    fields: dict[str, str] = {}
    for line in head[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            fields.setdefault(k.strip().lower(), v.strip())
    return head[0], fields


class Uac:
    """A one-socket SIP caller: INVITE (SDP) -> 100/180/200 -> ACK -> BYE -> 200."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the callee's RTP lands
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp_port = self.rtp.getsockname()[1]

    def close(self) -> None:
        self.sock.close()
        self.rtp.close()

    def _recv_until(self, pred: Any, timeout: float) -> tuple[float, str] | None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, addr = self.sock.recvfrom(65536)
            except TimeoutError:
                return None
            at = time.perf_counter()
            msg = data.decode(errors="replace")
            first, fields = _headers(msg)
            if first.startswith("SIP/2.0"):
                if pred(first, fields):
                    return at, msg
            elif not first.startswith("ACK"):  # a request to us (OPTIONS, BYE...): 200
                self._answer(msg, addr)

    def _answer(self, msg: str, addr: tuple[str, int]) -> None:
        lines = msg.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [ln for ln in lines[1:] if ln.split(":", 1)[0].strip().lower() in
                ("via", "from", "to", "call-id", "cseq")]
        self.sock.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep)
                          + "\r\nContent-Length: 0\r\n\r\n").encode(), addr)

    def call(self, host: str, port: int, hold: float = 0.1) -> float | None:
        """One call; the INVITE -> 200 OK time in ms (None when it was not answered)."""
        call_id = uuid.uuid4().hex + "@bench"
        tag = uuid.uuid4().hex[:10]
        target = f"sip:bench@{host}:{port}"
        local = f"127.0.0.1:{self.port}"
        sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {self.rtp_port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
               "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
               "a=fmtp:101 0-15\r\na=sendrecv\r\n")
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        invite = (f"INVITE {target} SIP/2.0\r\n"
                  f"Via: SIP/2.0/UDP {local};branch={branch};rport\r\n"
                  "Max-Forwards: 70\r\n"
                  f"From: <sip:uac@{local}>;tag={tag}\r\n"
                  f"To: <{target}>\r\n"
                  f"Call-ID: {call_id}\r\n"
                  "CSeq: 1 INVITE\r\n"
                  f"Contact: <sip:uac@{local}>\r\n"
                  "User-Agent: bench-uac\r\n"
                  "Content-Type: application/sdp\r\n"
                  f"Content-Length: {len(sdp)}\r\n\r\n{sdp}")

        def final_to_invite(first: str, f: dict[str, str]) -> bool:
            return f.get("call-id") == call_id and f.get("cseq", "").endswith("INVITE") \
                and int(first.split()[1]) >= 200

        t0 = time.perf_counter()
        self.sock.sendto(invite.encode(), (host, port))
        got = self._recv_until(final_to_invite, 10.0)
        if got is None:
            return None
        at, msg = got
        first, f = _headers(msg)
        code = int(first.split()[1])
        to = f.get("to", f"<{target}>")
        contact = f.get("contact", f"<{target}>")
        ruri = contact[contact.find("<") + 1:contact.find(">")] if "<" in contact else contact
        ack = (f"ACK {ruri if code == 200 else target} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {local};branch="
               f"{branch if code != 200 else 'z9hG4bK' + uuid.uuid4().hex[:16]};rport\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:uac@{local}>;tag={tag}\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
               "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
        self.sock.sendto(ack.encode(), (host, port))
        if code != 200:
            return None
        self._recv_until(lambda _a, _b: False, hold)  # talk (answers requests meanwhile)
        bye = (f"BYE {ruri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {local};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:uac@{local}>;tag={tag}\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
               "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n")
        self.sock.sendto(bye.encode(), (host, port))
        self._recv_until(lambda first, fl: fl.get("call-id") == call_id
                         and fl.get("cseq", "").endswith("BYE"), 5.0)
        return (at - t0) * 1000.0


# --- callees ---------------------------------------------------------------------------

@dataclass
class Callee:
    name: str
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    peer: Any = None
    times: list[float] = field(default_factory=list)
    failed: int = 0
    note: str = ""


def _wait_options(port: int, timeout: float) -> bool:
    from tests.harness.sip_peers import sip_options_ping

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sip_options_ping("127.0.0.1", port):
            return True
        time.sleep(0.1)
    return False


def start_callees(workdir: Path, x: Xvfb | None, profiles: ProfileCopies | None,
                  stack: contextlib.ExitStack) -> list[Callee]:
    from bench_startup import stop

    from tests.harness.ports import free_port
    from tests.harness.sip_peers import Baresip

    out: list[Callee] = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name in ("softphone app", "engine", "raw pjsua2"):
        c = Callee(name, port=free_port(count=2))
        rtp = free_port(count=20, step=2)
        if name == "raw pjsua2":
            argv = [PYTHON, "-c", RAW_CALLEE, str(c.port), str(rtp)]
            penv = env
        elif name == "engine":
            argv = [PYTHON, __file__, "--child", "engine", "--port", str(c.port),
                    "--rtp", str(rtp)]
            penv = env
        else:
            if x is None or profiles is None:
                continue
            profile = profiles.fresh()
            (profile / "softphone.toml").write_text(
                f'[sip]\nlisten = "127.0.0.1:{c.port}"\nrtp_port = {rtp}\n\n'
                '[calls]\nauto_answer = true\n\n[crm]\ndefault_region = "RU"\n')
            home = workdir / "home-app"
            home.mkdir(exist_ok=True)
            argv = [PYTHON, "-m", "softphone", "--profile", str(profile)]
            if os.environ.get("BENCH_SWITCHINTERVAL"):  # diagnostics: the GIL's switch interval
                argv[1:3] = ["-c", "import sys, runpy; sys.setswitchinterval("
                             f"{float(os.environ['BENCH_SWITCHINTERVAL'])}); "
                             "runpy.run_module('softphone', run_name='__main__')"]
            penv = fresh_env(home, x.display, x.dbus_address)
        c.proc = subprocess.Popen(argv, env=penv, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        stack.callback(stop, c.proc)
        if not _wait_options(c.port, 60.0):
            c.note = "did not answer OPTIONS"
        out.append(c)
    bs = stack.enter_context(Baresip(user="bench", workdir=workdir / "baresip"))
    out.append(Callee("baresip", port=bs.port, peer=bs))
    return out


def run(calls: int, rounds: int, contacts: int, calls_in_db: int, with_app: bool = True
        ) -> list[Callee]:
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as tmp, \
            contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        x = profiles = None
        if with_app:
            x = stack.enter_context(Xvfb())
            profiles = ProfileCopies(cached_profile(contacts, calls_in_db), workdir)
        callees = start_callees(workdir, x, profiles, stack)
        uac = Uac()
        stack.callback(uac.close)
        for c in callees:  # warm up: first call loads codecs, fills caches
            uac.call("127.0.0.1", c.port, 0.1)
        per_round = max(1, calls // rounds)
        for _ in range(rounds):
            for c in callees:
                for _ in range(per_round):
                    ms = uac.call("127.0.0.1", c.port, 0.1)
                    if ms is None:
                        c.failed += 1
                    else:
                        c.times.append(ms)
                    time.sleep(0.05)
    return callees


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def table(callees: list[Callee], contacts: int) -> str:
    raw = next((c for c in callees if c.name == "raw pjsua2" and c.times), None)
    floor = statistics.median(raw.times) if raw else float("nan")
    lines = ["| callee | calls | INVITE->200 median ms | p90 ms | p99 ms | added vs raw ms "
             "| note |", "|---|---|---|---|---|---|---|"]
    for c in callees:
        if not c.times:
            lines.append(f"| {c.name} | 0 | - | - | - | - | {c.note or 'no answer'} |")
            continue
        med = statistics.median(c.times)
        note = c.note
        if c.name == "softphone app":
            note = f"full GUI app, auto_answer, {contacts:,} contacts; target <= {TARGET_MS:g} ms"
        if c.failed:
            note += f" ({c.failed} calls not answered)"
        lines.append(f"| {c.name} | {len(c.times)} | {med:.2f} | {percentile(c.times, 90):.2f}"
                     f" | {percentile(c.times, 99):.2f} | {med - floor:+.2f} | {note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=20, help="calls per callee")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--db-calls", type=int, default=500_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-app", action="store_true", help="skip the GUI app (no Xvfb)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", choices=["engine"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--rtp", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child == "engine":
        engine_child(args.port, args.rtp)
        return 0
    if args.quick:
        args.calls, args.rounds, args.contacts, args.db_calls = 10, 2, 10_000, 20_000
    callees = run(args.calls, args.rounds, args.contacts, args.db_calls, not args.no_app)
    print(table(callees, args.contacts))
    if args.json:
        args.json.write_text(json.dumps({c.name: {"ms": c.times, "failed": c.failed}
                                         for c in callees}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
