"""Incoming INVITE to caller card shown, with a profile of 1,000,000 contacts.

    .venv/bin/python bench/bench_card.py                # 60 calls, 1,000,000 contacts
    .venv/bin/python bench/bench_card.py --quick        # 20 calls, 10,000 contacts

The real app (``softphone.cli.main``, the same composition root as ``softphone``) runs in a
child process on a private Xvfb with the cached start-up profile. The raw UDP caller of
bench_setup_time.py sends each INVITE itself (the From user is a number from the database,
spelt in one of the ways people type it, or an unknown number one call in five), and two
moments are timed from just before ``sendto`` (CLOCK_MONOTONIC is one clock for every
process):

* *card mapped*: the ``MapNotify`` of the card's window, seen by an external X observer;
* *card shows the caller*: the app's ``CallerCard.set_call`` returned with the lookup's
  result (name, company, why it matched), reported by a hook in the child.

Then the caller CANCELs (487, ACK) and the next call follows. Target: p99 <= 100 ms.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_setup_time import Uac, _headers, _wait_options  # noqa: E402
from bench_startup import (  # noqa: E402
    PYTHON,
    ProfileCopies,
    Xvfb,
    cached_profile,
    fresh_env,
    percentile,
    stop,
)

TARGET_P99_MS = 100.0


def app_child(argv: list[str]) -> int:
    """The real app with a hook that reports when a card shows its caller."""
    from softphone.cli import main as cli_main
    from softphone.ui import caller_card

    original = caller_card.CallerCard.set_call
    reported: set[int] = set()

    def set_call(self: Any, call: Any) -> None:
        original(self, call)
        if call.caller is not None and call.call_id not in reported:
            reported.add(call.call_id)
            contact = getattr(call.caller, "contact", None)
            print(json.dumps({"filled": time.monotonic(), "number": call.number,
                              "found": contact is not None}), flush=True)

    caller_card.CallerCard.set_call = set_call  # type: ignore[method-assign]
    return cli_main(argv)


class CardCaller(Uac):
    """INVITE with a chosen caller number, then CANCEL."""

    def ring(self, host: str, port: int, number: str) -> tuple[float, Any]:
        call_id = uuid.uuid4().hex + "@bench"
        tag = uuid.uuid4().hex[:10]
        target = f"sip:bench@{host}:{port}"
        local = f"127.0.0.1:{self.port}"
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {self.rtp_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")
        common = (f"Via: SIP/2.0/UDP {local};branch={branch};rport\r\nMax-Forwards: 70\r\n"
                  f"From: <sip:{number}@{local}>;tag={tag}\r\nTo: <{target}>\r\n"
                  f"Call-ID: {call_id}\r\n")
        invite = (f"INVITE {target} SIP/2.0\r\n{common}CSeq: 1 INVITE\r\n"
                  f"Contact: <sip:{number}@{local}>\r\nContent-Type: application/sdp\r\n"
                  f"Content-Length: {len(sdp)}\r\n\r\n{sdp}")
        t0 = time.monotonic()
        self.sock.sendto(invite.encode(), (host, port))
        return t0, (target, common, call_id)

    def cancel(self, host: str, port: int, handle: Any) -> None:
        target, common, call_id = handle
        # wait for a provisional answer first (a CANCEL before it is not allowed)
        self._recv_until(lambda first, f: f.get("call-id") == call_id
                         and f.get("cseq", "").endswith("INVITE")
                         and int(first.split()[1]) >= 180, 5.0)
        self.sock.sendto(f"CANCEL {target} SIP/2.0\r\n{common}CSeq: 1 CANCEL\r\n"
                         "Content-Length: 0\r\n\r\n".encode(), (host, port))
        got = self._recv_until(lambda first, f: f.get("call-id") == call_id
                               and f.get("cseq", "").endswith("INVITE")
                               and int(first.split()[1]) >= 300, 5.0)
        if got is not None:
            _first, f = _headers(got[1])
            to = f.get("to", f"<{target}>")
            via_from = common.replace(f"To: <{target}>\r\n", f"To: {to}\r\n")
            self.sock.sendto(f"ACK {target} SIP/2.0\r\n{via_from}CSeq: 1 ACK\r\n"
                             "Content-Length: 0\r\n\r\n".encode(), (host, port))


def pick_numbers(db: Path, count: int, seed: int = 3) -> list[tuple[str, bool]]:
    """(number as the caller sends it, expected to be known) for ``count`` calls."""
    rnd = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        max_id = conn.execute("SELECT max(id) FROM phones").fetchone()[0]
        out: list[tuple[str, bool]] = []
        while len(out) < count:
            if rnd.random() < 0.2:
                out.append((f"+7800{rnd.randrange(10**7):07d}", False))
                continue
            row = conn.execute("SELECT national FROM phones WHERE id = ?",
                               (rnd.randrange(1, max_id + 1),)).fetchone()
            if row is None:
                continue
            n = row[0]
            out.append((rnd.choice([f"+7{n}", f"8{n}", f"7{n}"]), True))
        return out
    finally:
        conn.close()


def run(calls: int, contacts: int, db_calls: int) -> dict[str, Any]:
    from tests.harness.ports import free_port

    with tempfile.TemporaryDirectory(prefix="bench-card-") as tmp, \
            contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        x = stack.enter_context(Xvfb())
        assert x.watcher is not None
        cache = cached_profile(contacts, db_calls)
        profiles = ProfileCopies(cache, workdir)
        profile = profiles.fresh()
        port = free_port(count=2)
        rtp = free_port(count=20, step=2)
        (profile / "softphone.toml").write_text(
            f'[sip]\nlisten = "127.0.0.1:{port}"\nrtp_port = {rtp}\n\n'
            '[crm]\ndefault_region = "RU"\n')
        home = workdir / "home"
        home.mkdir()
        env = fresh_env(home, x.display, x.dbus_address)
        env["PYTHONPATH"] = str(ROOT)
        proc = subprocess.Popen([PYTHON, __file__, "--child", "app", "--profile", str(profile)],
                                env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        stack.callback(stop, proc)
        lines: queue.Queue[dict[str, Any]] = queue.Queue()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                with contextlib.suppress(ValueError):
                    lines.put(json.loads(line))

        threading.Thread(target=read, daemon=True).start()
        if not _wait_options(port, 60.0):
            raise RuntimeError("the app did not answer OPTIONS")
        time.sleep(2.0)  # the store opens after the window shows
        uac = CardCaller()
        stack.callback(uac.close)
        numbers = pick_numbers(profile / profiles.name, calls + 3)
        mapped: list[float] = []
        filled: dict[bool, list[float]] = {True: [], False: []}
        missing = 0
        for i, (number, known) in enumerate(numbers):
            while not lines.empty():
                lines.get_nowait()
            t0, handle = uac.ring("127.0.0.1", port, number)
            m = x.watcher.wait_window(t0, 5.0, min_size=50)
            got = None
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline:
                try:
                    item = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if "filled" in item:
                    got = item
                    break
            uac.cancel("127.0.0.1", port, handle)
            if i >= 3:  # the first calls warm the caches up
                if m is None or got is None:
                    missing += 1
                else:
                    mapped.append((m.at - t0) * 1000.0)
                    filled[known].append((got["filled"] - t0) * 1000.0)
            time.sleep(0.3)  # the card closes, the call row is written
    return {"mapped": mapped, "filled_known": filled[True], "filled_unknown": filled[False],
            "missing": missing}


def table(r: dict[str, Any], contacts: int) -> str:
    def row(label: str, values: list[float], note: str = "") -> str:
        if not values:
            return f"| {label} | 0 | - | - | - | {note} |"
        return (f"| {label} | {len(values)} | {statistics.median(values):.1f} | "
                f"{percentile(values, 99):.1f} | {max(values):.1f} | {note} |")

    every = r["filled_known"] + r["filled_unknown"]
    lines = ["| INVITE -> ... | samples | median ms | p99 ms | max ms | note |",
             "|---|---|---|---|---|---|",
             row("card window mapped (X observer)", r["mapped"]),
             row("card shows the caller (all)", every,
                 f"{contacts:,} contacts; target p99 <= {TARGET_P99_MS:.0f} ms"),
             row("card shows the caller (known numbers)", r["filled_known"]),
             row("card shows the caller (unknown numbers)", r["filled_unknown"])]
    if r["missing"]:
        lines.append(f"| calls without a card | {r['missing']} | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--db-calls", type=int, default=500_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", choices=["app"], help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args(argv)
    if args.child == "app":
        return app_child(rest)
    if args.quick:
        args.calls, args.contacts, args.db_calls = 20, 10_000, 20_000
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    r = run(args.calls, args.contacts, args.db_calls)
    print(table(r, args.contacts))
    if args.json:
        args.json.write_text(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
