"""kill -9 of the app in mid-call, 20 times: every call is in the log afterwards (closed as
``interrupted`` at the next start), the database stays intact, a typed wrap-up survives."""

from __future__ import annotations

import json
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softphone.profile import database_file
from softphone.settings import AccountSettings, CallSettings, CrmSettings, Settings, SipSettings
from tests.harness.ports import free_port
from tests.integration.hardening.apps import (
    ROOT,
    AppProcess,
    GuiApp,
    app_env,
    wait_for,
    write_profile,
)
from tests.integration.sip.engine_proc import EngineProcess

KILLS = 20


def _db_rows(profile: Path, sql: str) -> list[tuple[Any, ...]]:
    path = database_file(profile)
    if not path.exists():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet
    finally:
        con.close()


def _integrity(profile: Path) -> str:
    con = sqlite3.connect(database_file(profile), timeout=5.0)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def _settings(port: int) -> Settings:
    return Settings(
        sip=SipSettings(listen_host="127.0.0.1", listen_port=port, rtp_port=free_port()),
        accounts=(AccountSettings(name="LAN", address="sip:agent@127.0.0.1"),),
        calls=CallSettings(auto_answer=True),
        crm=CrmSettings(default_region="RU", agent="tester"))


def _calls_list(profile: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-m", "softphone", "calls", "list", "--json", "--limit", "500",
         "--profile", str(profile)],
        cwd=ROOT, env=app_env(), capture_output=True, text=True, timeout=60, check=True)
    data = json.loads(out.stdout)
    return data if isinstance(data, list) else list(data.get("calls", data))


def test_kill_9_in_mid_call_20_times(make_engine: Callable[..., EngineProcess],
                                     make_gui: Callable[[Path], GuiApp],
                                     tmp_path: Path) -> None:
    port = free_port()
    profile = tmp_path / "profile"
    write_profile(profile, _settings(port))
    peer = make_engine("peer", calls={"auto_answer": True})
    peer_address = peer.command("listen_address")
    t_start = time.perf_counter()
    starts: list[float] = []
    previous: tuple[int, int] | None = None

    def hang_up_previous() -> None:
        # After the restart: the new instance answers the BYE (481) at once, so the peer's
        # call slot is free again without waiting out the BYE transaction's 32 s timeout.
        if previous is not None:
            peer.command("hangup", call_id=previous[0])
            peer.wait_state(previous[0], "disconnected", 15.0, since=previous[1])

    for i in range(KILLS):
        t0 = time.perf_counter()
        gui = make_gui(profile)
        starts.append(time.perf_counter() - t0)
        hang_up_previous()
        mark = peer.mark()
        if i % 2 == 0:  # the app dials the peer (as `softphone dial` does)
            gui.command("dial", f"sip:peer@{peer_address}")
            incoming = peer.wait_event("IncomingCall", 15.0, since=mark)
            peer_call = incoming["call_id"]
        else:  # the peer calls the app, which auto-answers
            peer_call = peer.command("dial", target=f"sip:agent@127.0.0.1:{port}")
        peer.wait_state(peer_call, "confirmed", 15.0, since=mark)
        wait_for(lambda n=i: len(_db_rows(profile, "SELECT id FROM calls")) > n, 15.0,
                 f"call {i + 1} in the database", alive=gui.running)
        gui.kill9()
        previous = (peer_call, mark)
    loop_s = time.perf_counter() - t_start
    # One more start closes what the last kill left open; then a clean quit.
    gui = make_gui(profile)
    hang_up_previous()
    wait_for(lambda: not _db_rows(profile, "SELECT id FROM calls WHERE outcome IS NULL"),
             15.0, "the last interrupted call to be closed", alive=gui.running)
    gui.close()
    rows = _calls_list(profile)
    outcomes = [r.get("outcome") for r in rows]
    integrity = _integrity(profile)
    print(f"\n{KILLS} x kill -9 in mid-call (half dialled by the app, half answered) in "
          f"{loop_s:.1f} s; app start to IPC ready: median {sorted(starts)[len(starts) // 2]:.2f}"
          f" s, max {max(starts):.2f} s")
    print(f"`softphone calls list --json`: {len(rows)} calls, outcomes "
          f"{ {o: outcomes.count(o) for o in set(outcomes)} }; PRAGMA integrity_check: "
          f"{integrity}")
    assert len(rows) == KILLS
    assert all(o == "interrupted" for o in outcomes), outcomes
    assert {r.get("direction") for r in rows} == {"in", "out"}
    assert integrity == "ok"


def test_wrapup_being_typed_survives_kill_9(make_engine: Callable[..., EngineProcess],
                                            make_app: Callable[..., AppProcess],
                                            tmp_path: Path) -> None:
    port = free_port()
    profile = tmp_path / "wprofile"
    app = make_app(_settings(port), profile=profile)
    peer = make_engine("peer")
    mark = peer.mark()
    call = peer.command("dial", target=f"sip:agent@127.0.0.1:{port}")
    peer.wait_state(call, "confirmed", 15.0, since=mark)
    peer.command("hangup", call_id=call)
    app.wait("result = window.phone_page.currentWidget() is window.wrapup", 15.0,
             "the wrap-up of the ended call")
    note = "Call back Tuesday: wants 40 licences, price <b>not</b> agreed"
    app.run("from PySide6.QtTest import QTest\n"
            f"QTest.keyClicks(window.wrapup.note_edit, {note!r})")
    t0 = time.perf_counter()
    saved = wait_for(lambda: _db_rows(profile, "SELECT note FROM wrapups"), 10.0,
                     "the autosaved wrap-up")
    autosave = time.perf_counter() - t0
    app.kill9()
    after = make_app(_settings(port), profile=profile, write=False)
    restored = after.wait(
        "import sqlite3\n"
        "con = sqlite3.connect(str(parts.profile / 'softphone.sqlite3'))\n"
        "result = [r[0] for r in con.execute('SELECT note FROM wrapups')]\n"
        "con.close()", 15.0, "the wrap-up after the restart")
    print(f"\ntyped {len(note)} characters into the wrap-up of an ended call; autosaved "
          f"{autosave:.2f} s after typing stopped; kill -9; after restart the note is "
          f"{restored!r}; integrity {_integrity(profile)}")
    assert saved[0][0] == note
    assert restored == [note]
    assert _integrity(profile) == "ok"


def _bye_answer(port: int, timeout: float) -> str:
    """Send one BYE (no retransmission) for a dialog the app does not know, as the far end of
    a call a crash cut off does; the status line of the answer, or '' when none came."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        own = sock.getsockname()[1]
        tag = secrets.token_hex(6)
        bye = (f"BYE sip:agent@127.0.0.1:{port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{own};rport;branch=z9hG4bK{tag}\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:peer@127.0.0.1:{own}>;tag=f{tag}\r\n"
               f"To: <sip:agent@127.0.0.1>;tag=t{tag}\r\n"
               f"Call-ID: crashed-{tag}\r\n"
               "CSeq: 2 BYE\r\n"
               "Content-Length: 0\r\n\r\n")
        sock.sendto(bye.encode(), ("127.0.0.1", port))
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return ""
        return data.decode(errors="replace").split("\r\n", 1)[0]


def test_found_running_is_reachable_for_sip(make_gui: Callable[[Path], GuiApp],
                                            tmp_path: Path) -> None:
    """Once another process finds the app running (its instance server answers), the phone
    listens: the first BYE of a far end whose call a crash cut off gets its 481 at once,
    instead of the far end holding the call (and a call slot) through 32 s of retransmits."""
    port = free_port()
    profile = tmp_path / "profile"
    write_profile(profile, _settings(port))
    answers = []
    for _ in range(3):
        gui = make_gui(profile)  # returns as soon as the instance server answers
        answers.append(_bye_answer(port, 3.0))
        assert "listen: 127.0.0.1:" in gui.command("status")
        gui.kill9()
    print(f"\nfirst BYE right after each of 3 starts: {answers}")
    assert answers == ["SIP/2.0 481 Call/Transaction Does Not Exist"] * 3, answers
